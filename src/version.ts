/** The action's name and version, sent in the User-Agent. Kept equal to package.json by a test. */
export const ACTION_NAME = 'capgo-release'
export const ACTION_VERSION = '1.0.0'
export const USER_AGENT = `${ACTION_NAME}/${ACTION_VERSION} (+https://github.com/marketplace/actions/capgo-release)`
