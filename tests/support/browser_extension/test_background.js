// Test build only: open the test page once the extension starts (Chromium runs this file
// as the service worker, Firefox as a background script after background.js).
if (typeof importScripts === "function") {
  importScripts("background.js");
}
const testApi = globalThis.browser?.runtime?.connectNative ? globalThis.browser : globalThis.chrome;

(async () => {
  const url = testApi.runtime.getURL("test.html");
  const open = await testApi.tabs.query({ url });
  if (open.length === 0) {
    await testApi.tabs.create({ url, active: true });
  }
})();
