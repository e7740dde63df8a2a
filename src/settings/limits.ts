// The bounds of the inputs' values: lengths, counts and the app id's pattern, shared by the
// checker and readSettings.

export const MAX_NAME_LENGTH = 128
/** Capgo's dashboard shows these; longer ones are refused here rather than cut there. */
export const MAX_LINK_LENGTH = 2048
export const MAX_COMMENT_LENGTH = 1000
export const MAX_CONCURRENCY = 16
export const MAX_RETRIES = 10
export const MAX_TIMEOUT_SECONDS = 600
/** Long values are cut in messages so that one bad paste does not flood the log. */
export const MAX_SHOWN_LENGTH = 200
export const APP_ID_PATTERN = /^[a-z0-9]+(\.[\w-]+)+$/i
