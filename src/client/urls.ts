/**
 * The URLs the client builds without a request: the login widget and the
 * user's settings page.
 *
 * @module
 */
import type { ClientContext } from "./_context.ts";
import { requireOrgId } from "./_context.ts";
import { AuthLiteInputError } from "../errors.ts";
import { requireText } from "./_input.ts";

/** `{widgetUrl}/widget/login/?org_id=..` */
export function loginUrl(ctx: ClientContext): string {
  const orgId = requireOrgId(ctx, "generateUrl");
  return `${ctx.options.widgetUrl}/widget/login/?org_id=${encodeURIComponent(orgId)}`;
}

/** `{baseUrl}/api/user/me/settings/?AccessToken=..&api_key=..&signed_key=..&url=..` */
export async function editUserUrl(
  ctx: ClientContext,
  accessToken: string,
  redirectUrl: string,
): Promise<string> {
  requireText(accessToken, "accessToken");
  requireText(redirectUrl, "redirectUrl");
  // TrustAuthX sends the browser there with a code: only a web page may take it.
  const protocol = URL.canParse(redirectUrl) ? new URL(redirectUrl).protocol : "";
  if (protocol !== "https:" && protocol !== "http:") {
    throw new AuthLiteInputError(
      "ERR_BAD_INPUT",
      "Invalid argument: redirectUrl must be an http or https URL",
    );
  }
  const signedKey = await ctx.signedKey.get();
  const url = new URL(ctx.options.baseUrl.href);
  url.pathname = `${ctx.options.baseUrl.pathname.replace(/\/+$/, "")}/api/user/me/settings/`;
  url.searchParams.append("AccessToken", accessToken);
  url.searchParams.append("api_key", ctx.options.apiKey);
  url.searchParams.append("signed_key", signedKey);
  url.searchParams.append("url", redirectUrl);
  return url.href;
}
