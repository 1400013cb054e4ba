// The demo's background: the toolbar button opens the demo page in a tab (a tab, not a
// popup, because a popup closes, and drops its requests, as soon as a dialog takes focus).
const api = globalThis.browser?.runtime?.connectNative ? globalThis.browser : globalThis.chrome;

api.action.onClicked.addListener(() => {
  api.tabs.create({ url: api.runtime.getURL("demo.html") });
});
