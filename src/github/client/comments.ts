// The pull request comment: one per marker, found again by the marker among the comments the
// token's own account wrote (every page, under a cap), updated in place or created.
import { GitHubError } from '../api.js'
import type { RequestFailure } from './errors.js'
import { COMMENTS_WRITE, PER_PAGE, type GitHubRequests } from './requests.js'

/** The most pages of comments searched for the action's own comment (100 a page). */
const MAX_COMMENT_PAGES = 30

export class PullRequestComments {
  private ownLogin: Promise<string | undefined> | undefined

  constructor(private readonly gh: GitHubRequests) {}

  /** `GitHubApi.upsertComment` (api.ts). */
  async upsert(
    issueNumber: number,
    marker: string,
    body: string
  ): Promise<{ id: number; created: boolean }> {
    const gh = this.gh
    if (marker.trim() === '') {
      throw new GitHubError({
        status: undefined,
        kind: 'invalid',
        route: 'upsertComment',
        attempts: 0,
        message: 'refused to upsert a comment with an empty marker: it would match any comment'
      })
    }
    // The marker is how the next run finds this comment again.
    const text = body.includes(marker) ? body : `${marker}\n${body}`
    const existing = await this.findComment(issueNumber, marker)
    if (existing !== undefined) {
      const updated = await gh.call(
        'PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}',
        COMMENTS_WRITE,
        () =>
          gh.octokit.rest.issues
            .updateComment({
              owner: gh.owner,
              repo: gh.repo,
              comment_id: existing,
              body: text
            })
            // Deleted by someone between the read and the update: write a new one.
            .catch((error: RequestFailure) => {
              if (error.status === 404) return undefined
              throw error
            }),
        { comment_id: existing }
      )
      if (updated !== undefined) return { id: updated.data.id, created: false }
    }
    const created = await gh.call(
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      COMMENTS_WRITE,
      () =>
        gh.octokit.rest.issues.createComment({
          owner: gh.owner,
          repo: gh.repo,
          issue_number: issueNumber,
          body: text
        }),
      { issue_number: issueNumber }
    )
    return { id: created.data.id, created: true }
  }

  /**
   * The account the token writes as: `GET /user` for a user's token. An installation token (a
   * workflow's GITHUB_TOKEN, a GitHub App's) is refused that endpoint: undefined, and the comment
   * is the action's when a bot wrote it (github-actions[bot], or the App's own bot).
   */
  private whoAmI(): Promise<string | undefined> {
    this.ownLogin ??= this.gh.octokit.rest.users.getAuthenticated().then(
      answer => answer.data.login,
      () => undefined
    )
    return this.ownLogin
  }

  /**
   * The oldest comment holding `marker` that the token's own account wrote (a marker quoted by
   * anyone else is never edited), within the page cap; undefined when there is none.
   */
  private async findComment(issueNumber: number, marker: string): Promise<number | undefined> {
    const gh = this.gh
    return gh.call(
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      COMMENTS_WRITE,
      async () => {
        const pages = gh.octokit.paginate.iterator(gh.octokit.rest.issues.listComments, {
          owner: gh.owner,
          repo: gh.repo,
          issue_number: issueNumber,
          per_page: PER_PAGE
        })
        let read = 0
        for await (const page of pages) {
          if (++read > MAX_COMMENT_PAGES) break
          for (const c of page.data) {
            if (typeof c.body !== 'string' || !c.body.includes(marker)) continue
            // Who the token is, asked only once a marked comment is found.
            const own = await this.whoAmI()
            const author = c.user
            if (author === null || author === undefined) continue
            const ours =
              own === undefined
                ? author.type === 'Bot'
                : author.login.toLowerCase() === own.toLowerCase()
            if (ours) return c.id
          }
        }
        return undefined
      },
      { issue_number: issueNumber }
    )
  }
}
