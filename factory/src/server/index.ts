/** The factory's HTTP server: the watch page, health, and the webhook intake's mount point. */
export { createFactoryApp, type FactoryAppOptions, WEBHOOK_PATH, type WebhookRoutes } from './app.ts';
export { publicUrl, type RunningServer, type StartServerOptions, startFactoryServer } from './start.ts';
export { openServerStore, SERVER_LABEL, type ServerStore, type StoreAccess } from './store.ts';
