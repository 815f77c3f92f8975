// Test support shared by every package's tests: see README.md.
export { CHROMIUM_ARGS, CHROMIUM_PATH, launchChromium, runBrowserTests } from './chromium.ts';
export {
  type HttpHandler,
  type LocalServer,
  listenLocal,
  readBody,
  type ServeOptions,
  serveHttp,
} from './http.ts';
