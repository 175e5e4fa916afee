/**
 * The in-process route suite again, each app on a new database of the test
 * PostgreSQL instead of a SQLite file: the HTTP layer answers alike on both
 * stores (versions, ETags, errors). Set before the suite's modules load.
 */
process.env.MGS_TEST_STORE = 'postgres'
await import('./api.inject.test.js')
