/**
 * The support console (/console) and the customer's setup page (/setup),
 * server-rendered by src/console/ (README, "Console and setup link").
 * Mounted at the root by src/app.ts; routes issue no D1 statement, and the
 * console reads through the same storage functions as the admin API.
 */
export { consoleApp as consoleRoutes } from "../console/routes.js";
