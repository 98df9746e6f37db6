/**
 * Browser entry of the demo page (bundled by {@linkcode buildUi}).
 *
 * @module
 */

import { startPage } from "./app.ts";
import { gatewayApi } from "./gateway_api.ts";

const meta = document.querySelector<HTMLMetaElement>('meta[name="authlite-base"]');
const base = (meta?.content ?? "").replace(/\/+$/, "");
const root = document.getElementById("app");
if (root) {
  const search = location.search;
  if (search) history.replaceState(null, "", location.pathname + location.hash);
  void startPage(root, gatewayApi(location.origin + base), {
    links: { login: `${base}/auth/login`, profile: `${base}/auth/profile` },
    search,
  });
}
