import { describe, expect, it } from 'vitest'
import { forEachLimited } from '../src/pool.js'

const tick = (): Promise<void> => new Promise(resolve => setTimeout(resolve, 1))

describe('forEachLimited', () => {
  it.each([1, 3, 8])(
    'never has more than %i tasks in flight, and runs every item once',
    async limit => {
      let inFlight = 0
      let most = 0
      const seen: number[] = []
      const items = Array.from({ length: 25 }, (_, i) => i)
      const started = await forEachLimited(items, limit, async item => {
        inFlight++
        most = Math.max(most, inFlight)
        await tick()
        seen.push(item)
        inFlight--
      })
      expect(started).toBe(25)
      expect(most).toBe(limit)
      expect([...seen].sort((a, b) => a - b)).toEqual(items)
    }
  )

  it('starts items in order and starts none after stop() turns true', async () => {
    const startedItems: number[] = []
    let stopped = false
    const started = await forEachLimited(
      Array.from({ length: 20 }, (_, i) => i),
      2,
      async item => {
        startedItems.push(item)
        await tick()
        if (item === 5) stopped = true
      },
      () => stopped
    )
    expect(startedItems).toEqual(Array.from({ length: started }, (_, i) => i))
    expect(started).toBeLessThanOrEqual(7)
    expect(started).toBeGreaterThanOrEqual(6)
  })

  it('does nothing for no items', async () => {
    let calls = 0
    expect(await forEachLimited([], 4, async () => void calls++)).toBe(0)
    expect(calls).toBe(0)
  })
})
