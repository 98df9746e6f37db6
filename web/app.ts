/**
 * The authlite demo page: sign in through the login widget, see who you are and the
 * state of your session, edit your profile, manage roles (admins), sign out.
 * Plain DOM; every control has an accessible name.
 *
 * @module
 */

import { type Child, h, replace } from "./_dom.ts";
import type { GatewayStatus, Me, Result, StatusFigures, UiApi, UiRole } from "./api.ts";

/** Where the page sends the browser for the flows that leave it. */
export interface PageLinks {
  /** Starts the login (the gateway redirects to the login widget). */
  login: string;
  /** Starts the profile edit (the gateway redirects to the settings page). */
  profile: string;
}

/** Options of {@linkcode startPage}. */
export interface StartPageOptions {
  /** The links of the flows that leave the page. */
  links: PageLinks;
  /** The query string the page was opened with (notices from the gateway's redirects). */
  search?: string;
}

interface State {
  me: Me | undefined;
  roles: UiRole[] | undefined;
}

/**
 * Render the page into `root` and load the session.
 *
 * @param root the element the page lives in (emptied first)
 * @param api the gateway
 * @param options links and the query string
 * @returns a promise settled once the first load has been shown
 */
export function startPage(root: HTMLElement, api: UiApi, options: StartPageOptions): Promise<void> {
  const page = new Page(root, api, options);
  return page.load();
}

const WORKING = "Working…";

class Page {
  #root: HTMLElement;
  #api: UiApi;
  #links: PageLinks;
  #state: State = { me: undefined, roles: undefined };
  #status: HTMLElement;
  #alert: HTMLElement;
  #main: HTMLElement;
  #account = h("section", { "aria-labelledby": "account-title", class: "card" });
  #session = h("section", { "aria-labelledby": "session-title", class: "card" });
  #admin = h("section", { "aria-labelledby": "admin-title", class: "card" });
  #signout = h("section", { "aria-labelledby": "signout-title", class: "card" });
  #adminNotice = h("div", { class: "notice-area" });
  #rolesTable = h("div", { class: "roles" });
  #adminForms = h("div", { class: "admin-forms" });
  #gatewayStatus = h("section", { "aria-labelledby": "gateway-status-title", class: "card" });

  constructor(root: HTMLElement, api: UiApi, options: StartPageOptions) {
    this.#root = root;
    this.#api = api;
    this.#links = options.links;
    this.#status = h("p", { role: "status", class: "status", "aria-live": "polite" });
    this.#alert = h("div", { class: "alert-area" });
    this.#main = h(
      "main",
      { "aria-busy": "true" },
      h("p", { class: "muted" }, "Checking your session…"),
    );
    replace(
      root,
      h(
        "header",
        {},
        h("h1", {}, "authlite"),
        h("p", { class: "muted" }, "Sign in, see your session, manage roles."),
      ),
      this.#alert,
      this.#status,
      this.#main,
    );
    const notice = noticeFrom(options.search ?? "");
    if (notice?.kind === "error") this.#showError(notice.text);
    if (notice?.kind === "info") this.#say(notice.text);
  }

  async load(): Promise<void> {
    const me = await this.#api.me();
    this.#main.setAttribute("aria-busy", "false");
    if (!me.ok) {
      if (me.status !== 401) this.#showError(me.message);
      this.#renderSignedOut();
      return;
    }
    this.#state.me = me.value;
    this.#renderSignedIn();
    await this.#loadRoles();
  }

  // ---------------------------------------------------------------- messages

  #say(text: string): void {
    this.#status.textContent = text;
  }

  #showError(text: string, area: HTMLElement = this.#alert): void {
    replace(
      area,
      h(
        "div",
        { role: "alert", class: "alert" },
        h("span", {}, text),
        h("button", {
          type: "button",
          class: "link",
          "aria-label": "Dismiss message",
          onclick: () => replace(area),
        }, "Dismiss"),
      ),
    );
  }

  #clearErrors(): void {
    replace(this.#alert);
    replace(this.#adminNotice);
  }

  /**
   * Run `task` with `button` disabled and showing a spinner and "Working…"; its form,
   * if any, is disabled too so that nothing is sent twice.
   */
  async #working(button: HTMLButtonElement, task: () => Promise<void>): Promise<void> {
    const label = Array.from(button.childNodes);
    const fieldset = button.closest("fieldset");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    if (fieldset) fieldset.disabled = true;
    replace(button, h("span", { class: "spinner", "aria-hidden": "true" }), WORKING);
    this.#main.setAttribute("aria-busy", "true");
    try {
      await task();
    } finally {
      if (button.isConnected) {
        replace(button, ...label);
        button.disabled = false;
        button.removeAttribute("aria-busy");
      }
      if (fieldset) fieldset.disabled = false;
      this.#main.setAttribute("aria-busy", "false");
    }
  }

  // ---------------------------------------------------------------- signed out

  #renderSignedOut(): void {
    this.#state = { me: undefined, roles: undefined };
    this.#main.className = "";
    replace(
      this.#main,
      h(
        "section",
        { "aria-labelledby": "signedout-title", class: "card hero" },
        h("h2", { id: "signedout-title" }, "You are signed out"),
        h(
          "p",
          {},
          "Sign in with the TrustAuthX login widget. Your session is kept in secure, HttpOnly " +
            "cookies by the gateway; this page never sees your tokens.",
        ),
        h("a", { class: "button primary", href: this.#links.login }, "Sign in"),
      ),
    );
  }

  // ---------------------------------------------------------------- signed in

  #renderSignedIn(): void {
    this.#renderAccount();
    this.#renderSession();
    this.#renderSignOut();
    replace(
      this.#admin,
      h("h2", { id: "admin-title" }, "Roles and permissions"),
      this.#adminNotice,
      this.#rolesTable,
      this.#adminForms,
    );
    replace(this.#adminNotice, h("p", { class: "muted" }, "Loading roles…"));
    this.#main.className = "signed-in";
    replace(this.#main, this.#account, this.#session, this.#admin, this.#signout);
  }

  /** A role's name when the roles are known (admins), else its id. */
  #roleLabel(rolId: string): Child {
    const name = this.#state.roles?.find((r) => r.rolId === rolId)?.name;
    return name ?? h("code", { title: "Role id" }, rolId);
  }

  #renderAccount(): void {
    const me = this.#state.me;
    if (!me) return;
    const display = me.name || me.email;
    const picture = me.img
      ? h("img", {
        class: "avatar",
        src: me.img,
        alt: `Picture of ${display}`,
        width: "72",
        height: "72",
      })
      : h(
        "div",
        { class: "avatar initials", role: "img", "aria-label": `Initials of ${display}` },
        initials(display),
      );
    const roles: Child = me.roles.length > 0
      ? h(
        "ul",
        { class: "chips", "aria-label": "Your roles" },
        ...me.roles.map((id) => h("li", { class: "chip" }, this.#roleLabel(id))),
      )
      : h("span", { class: "muted" }, "No roles");
    replace(
      this.#account,
      h("h2", { id: "account-title" }, "Your account"),
      h(
        "div",
        { class: "person" },
        picture,
        h(
          "dl",
          {},
          h("dt", {}, "Name"),
          h("dd", { "data-field": "name" }, me.name || "(no name)"),
          h("dt", {}, "Email"),
          h("dd", { "data-field": "email" }, me.email),
          h("dt", {}, "User ID"),
          h("dd", { "data-field": "uid" }, h("code", {}, me.uid)),
          h("dt", {}, "Roles"),
          h("dd", { "data-field": "roles" }, roles),
        ),
      ),
      h(
        "p",
        {},
        this.#profileLink(),
        " ",
        h(
          "span",
          { class: "muted" },
          "Opens your settings at TrustAuthX and brings you back here.",
        ),
      ),
    );
  }

  /**
   * The "Edit profile" link. A plain link, but it first makes sure the session is alive
   * (refreshing it if need be), so that a dead session is said in words on this page
   * instead of answered by the gateway on a page of its own.
   */
  #profileLink(): HTMLAnchorElement {
    const link = h("a", { class: "button", href: this.#links.profile }, "Edit profile");
    link.addEventListener("click", (ev) => {
      if (link.getAttribute("aria-disabled") === "true") {
        ev.preventDefault();
        return;
      }
      ev.preventDefault();
      this.#clearErrors();
      link.setAttribute("aria-disabled", "true");
      link.append(h("span", { class: "spinner", "aria-hidden": "true" }));
      void this.#api.me().then((me) => {
        if (me.ok) {
          location.assign(link.href);
          return;
        }
        link.removeAttribute("aria-disabled");
        link.querySelector(".spinner")?.remove();
        if (me.status === 401) {
          this.#renderSignedOut();
          this.#say("Your session has ended. Sign in again.");
        } else {
          this.#showError(me.message.replace("check your session", "open your profile"));
        }
      });
    });
    return link;
  }

  #renderSession(): void {
    const me = this.#state.me;
    if (!me) return;
    const check = h("button", { type: "button" }, "Check session") as HTMLButtonElement;
    check.addEventListener("click", () => this.#working(check, () => this.#recheck()));
    replace(
      this.#session,
      h("h2", { id: "session-title" }, "Session"),
      h(
        "p",
        { "data-field": "session" },
        "Session: ",
        me.refreshed
          ? h("strong", { class: "badge refreshed" }, "refreshed")
          : h("strong", { class: "badge valid" }, "valid"),
        " ",
        h(
          "span",
          { class: "muted" },
          me.refreshed
            ? "Your access token had expired; the gateway renewed it with your refresh token."
            : "Your access token is valid.",
        ),
      ),
      h("p", {}, check),
    );
  }

  async #recheck(): Promise<void> {
    this.#clearErrors();
    const me = await this.#api.me();
    if (!me.ok) {
      if (me.status === 401) {
        this.#renderSignedOut();
        this.#say("Your session has ended. Sign in again.");
        return;
      }
      this.#showError(me.message);
      return;
    }
    this.#state.me = me.value;
    this.#renderAccount();
    this.#renderSession();
    this.#say(me.value.refreshed ? "Session refreshed." : "Session is valid.");
  }

  #renderSignOut(): void {
    const one = h("button", { type: "button" }, "Sign out") as HTMLButtonElement;
    const all = h(
      "button",
      { type: "button", class: "danger" },
      "Sign out of all sessions",
    ) as HTMLButtonElement;
    one.addEventListener("click", () => this.#working(one, () => this.#logout(false)));
    all.addEventListener("click", () => this.#working(all, () => this.#logout(true)));
    replace(
      this.#signout,
      h("h2", { id: "signout-title" }, "Sign out"),
      h(
        "p",
        { class: "muted" },
        "Sign out here, or end every session of your account on every device.",
      ),
      h("p", { class: "row" }, one, all),
    );
  }

  async #logout(all: boolean): Promise<void> {
    this.#clearErrors();
    const res = await this.#api.logout(all);
    if (!res.ok && res.status !== 401) {
      this.#showError(res.message);
      return;
    }
    this.#renderSignedOut();
    this.#say(all ? "You are signed out of all sessions." : "You are signed out.");
  }

  // ---------------------------------------------------------------- admin

  async #loadRoles(): Promise<void> {
    const roles = await this.#api.listRoles();
    if (!roles.ok) {
      this.#state.roles = undefined;
      replace(this.#rolesTable);
      replace(this.#adminForms);
      if (roles.status === 401) {
        this.#renderSignedOut();
        this.#say("Your session has ended. Sign in again.");
        return;
      }
      replace(
        this.#adminNotice,
        h("p", {
          class: roles.status === 403 ? "notice" : "alert",
          role: roles.status === 403 ? "note" : "alert",
        }, roles.message),
      );
      return;
    }
    this.#state.roles = roles.value;
    replace(this.#adminNotice);
    this.#renderRoles();
    this.#renderAdminForms();
    this.#renderAccount();
    await this.#loadStatus();
  }

  // ---------------------------------------------------------------- gateway status

  /** The gateway's figures, for admins: shown after the roles, never to others. */
  async #loadStatus(): Promise<void> {
    const res = await this.#api.status();
    if (!res.ok && (res.status === 401 || res.status === 403)) {
      this.#gatewayStatus.remove();
      return;
    }
    if (!this.#gatewayStatus.isConnected) this.#admin.after(this.#gatewayStatus);
    const refresh = h(
      "button",
      { type: "button", class: "small" },
      "Refresh status",
    ) as HTMLButtonElement;
    refresh.addEventListener("click", () => void this.#working(refresh, () => this.#loadStatus()));
    const title = h("h2", { id: "gateway-status-title" }, "Gateway status");
    if (!res.ok) {
      replace(
        this.#gatewayStatus,
        title,
        h("p", { role: "alert", class: "alert" }, res.message),
        refresh,
      );
      return;
    }
    replace(this.#gatewayStatus, title, ...statusView(res.value), refresh);
  }

  /** Run an admin change, show its outcome, then reload the roles and the user. */
  async #change(
    button: HTMLButtonElement,
    run: () => Promise<Result<unknown>>,
    done: string,
  ): Promise<boolean> {
    let ok = false;
    await this.#working(button, async () => {
      this.#clearErrors();
      const res = await run();
      if (!res.ok) {
        this.#showError(res.message, this.#adminNotice);
        if (res.status === 401) {
          this.#renderSignedOut();
          this.#say("Your session has ended. Sign in again.");
        }
        return;
      }
      ok = true;
      this.#say(done);
      const me = await this.#api.me();
      if (me.ok) this.#state.me = me.value;
      await this.#loadRoles();
      this.#renderSession();
    });
    return ok;
  }

  #renderRoles(): void {
    const roles = this.#state.roles ?? [];
    if (roles.length === 0) {
      replace(this.#rolesTable, h("p", { class: "muted" }, "No roles yet. Create one below."));
      return;
    }
    const rows = roles.map((role) => {
      const del = h("button", {
        type: "button",
        class: "danger small",
        "aria-label": `Delete role ${role.name}`,
      }, "Delete") as HTMLButtonElement;
      del.addEventListener(
        "click",
        () =>
          void this.#change(
            del,
            () => this.#api.deleteRole(role.rolId),
            `Role “${role.name}” deleted.`,
          ),
      );
      const perms = role.permissions.map((p) => {
        const [key, value] = Object.entries(p)[0] ?? ["", ""];
        const rm = h("button", {
          type: "button",
          class: "chip-remove",
          "aria-label": `Remove permission ${key}=${value} from role ${role.name}`,
        }, "×") as HTMLButtonElement;
        rm.addEventListener(
          "click",
          () =>
            void this.#change(
              rm,
              () => this.#api.deletePermissions(role.rolId, [{ [key]: value }]),
              `Permission ${key}=${value} removed from “${role.name}”.`,
            ),
        );
        return h("li", { class: "chip" }, h("code", {}, `${key}=${value}`), rm);
      });
      return h(
        "tr",
        {},
        h("th", { scope: "row" }, role.name),
        h("td", {}, h("code", {}, role.rolId)),
        h(
          "td",
          {},
          perms.length > 0
            ? h("ul", { class: "chips", "aria-label": `Permissions of ${role.name}` }, ...perms)
            : h("span", { class: "muted" }, "none"),
        ),
        h("td", {}, del),
      );
    });
    replace(
      this.#rolesTable,
      h(
        "table",
        {},
        h("caption", {}, "Roles of the organisation"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Role"),
            h("th", { scope: "col" }, "ID"),
            h("th", { scope: "col" }, "Permissions"),
            h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
        h("tbody", {}, ...rows),
      ),
    );
  }

  #renderAdminForms(): void {
    const roles = this.#state.roles ?? [];
    replace(
      this.#adminForms,
      this.#createRoleForm(),
      roles.length > 0 ? this.#addPermissionForm(roles) : null,
      roles.length > 0 ? this.#assignForm(roles) : null,
    );
  }

  #createRoleForm(): HTMLElement {
    const name = h("input", {
      id: "new-role-name",
      name: "name",
      required: true,
      autocomplete: "off",
    }) as HTMLInputElement;
    const perms = h("textarea", {
      id: "new-role-permissions",
      name: "permissions",
      rows: "3",
      placeholder: "key=value, one per line",
    }) as HTMLTextAreaElement;
    const submit = h(
      "button",
      { type: "submit", class: "primary" },
      "Create role",
    ) as HTMLButtonElement;
    const form = h(
      "form",
      { "aria-labelledby": "create-role-title" },
      h(
        "fieldset",
        {},
        h("legend", { id: "create-role-title" }, "Create a role"),
        h("label", { for: "new-role-name" }, "Role name"),
        name,
        h("label", { for: "new-role-permissions" }, "Permissions (key=value, one per line)"),
        perms,
        submit,
      ),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.#clearErrors();
      const parsed = parsePermissions(perms.value);
      if (typeof parsed === "string") {
        this.#showError(parsed, this.#adminNotice);
        return;
      }
      const roleName = name.value.trim();
      if (!roleName) {
        this.#showError("Give the role a name.", this.#adminNotice);
        return;
      }
      void this.#change(
        submit,
        () => this.#api.addRole(roleName, parsed),
        `Role “${roleName}” created.`,
      );
    });
    return form;
  }

  #addPermissionForm(roles: UiRole[]): HTMLElement {
    const select = roleSelect("perm-role", roles);
    const key = h("input", {
      id: "perm-key",
      name: "key",
      required: true,
      autocomplete: "off",
    }) as HTMLInputElement;
    const value = h("input", {
      id: "perm-value",
      name: "value",
      required: true,
      autocomplete: "off",
    }) as HTMLInputElement;
    const submit = h("button", { type: "submit" }, "Add permission") as HTMLButtonElement;
    const form = h(
      "form",
      { "aria-labelledby": "add-perm-title" },
      h(
        "fieldset",
        {},
        h("legend", { id: "add-perm-title" }, "Add a permission"),
        h("label", { for: "perm-role" }, "Role"),
        select,
        h(
          "div",
          { class: "row" },
          h("div", {}, h("label", { for: "perm-key" }, "Permission key"), key),
          h("div", {}, h("label", { for: "perm-value" }, "Permission value"), value),
        ),
        submit,
      ),
    );
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.#clearErrors();
      const k = key.value.trim();
      const v = value.value.trim();
      if (!k || !v) {
        this.#showError("Give the permission a key and a value.", this.#adminNotice);
        return;
      }
      const role = roles.find((r) => r.rolId === select.value);
      void this.#change(
        submit,
        () => this.#api.addPermissions(select.value, [{ [k]: v }]),
        `Permission ${k}=${v} added to “${role?.name ?? select.value}”.`,
      );
    });
    return form;
  }

  #assignForm(roles: UiRole[]): HTMLElement {
    const uid = h("input", {
      id: "assign-uid",
      name: "uid",
      required: true,
      autocomplete: "off",
      value: this.#state.me?.uid ?? "",
    }) as HTMLInputElement;
    const select = roleSelect("assign-role", roles);
    const give = h("button", { type: "submit", value: "add" }, "Give role") as HTMLButtonElement;
    const take = h(
      "button",
      { type: "button", class: "danger" },
      "Take role away",
    ) as HTMLButtonElement;
    const form = h(
      "form",
      { "aria-labelledby": "assign-title" },
      h(
        "fieldset",
        {},
        h("legend", { id: "assign-title" }, "Assign a role to a user"),
        h("label", { for: "assign-uid" }, "User ID"),
        uid,
        h("label", { for: "assign-role" }, "Role to assign"),
        select,
        h("p", { class: "row" }, give, take),
      ),
    );
    const run = (button: HTMLButtonElement, adding: boolean): void => {
      this.#clearErrors();
      const who = uid.value.trim();
      if (!who) {
        this.#showError("Enter the ID of the user.", this.#adminNotice);
        return;
      }
      const rolId = select.value;
      const name = roles.find((r) => r.rolId === rolId)?.name ?? rolId;
      void this.#change(
        button,
        () => this.#api.assignRoles(who, adding ? [rolId] : [], adding ? [] : [rolId]),
        adding ? `Role “${name}” given to ${who}.` : `Role “${name}” taken away from ${who}.`,
      );
    };
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      run(give, true);
    });
    take.addEventListener("click", () => run(take, false));
    return form;
  }
}

function roleSelect(id: string, roles: UiRole[]): HTMLSelectElement {
  return h(
    "select",
    { id, name: id },
    ...roles.map((r) => h("option", { value: r.rolId }, r.name)),
  ) as HTMLSelectElement;
}

function initials(text: string): string {
  const parts = text.split(/[\s@._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
}

/**
 * Parse "key=value" lines (or comma-separated pairs) into permissions.
 *
 * @param text what the admin typed
 * @returns the permissions, or a sentence saying what is wrong
 */
export function parsePermissions(text: string): Record<string, string>[] | string {
  const out: Record<string, string>[] = [];
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf("=");
    const key = at < 0 ? "" : line.slice(0, at).trim();
    const value = at < 0 ? "" : line.slice(at + 1).trim();
    if (!key || !value) return `Write each permission as key=value: “${line}” is not.`;
    out.push({ [key]: value });
  }
  return out;
}

const ERROR_WORDS: Record<string, string> = {
  ERR_INVALID_TOKEN_SET: "Your session has ended. Sign in again.",
  ERR_UNAUTHORIZED: "You are signed out. Sign in again.",
  ERR_BAD_INPUT: "The sign-in could not be completed (it may have expired or been used already). " +
    "Sign in again.",
  ERR_HTTP: "TrustAuthX refused the request. Try again.",
  ERR_NETWORK: "TrustAuthX could not be reached. Try again in a moment.",
  ERR_TIMEOUT: "TrustAuthX did not answer in time. Try again in a moment.",
  ERR_BAD_REPLY: "TrustAuthX answered something unexpected. Try again.",
  ERR_BAD_SIGNATURE: "TrustAuthX's answer failed its signature check, so it was refused.",
  ERR_CONFIG: "The gateway is not configured correctly. Tell its administrator.",
  ERR_RATE_LIMITED: "Too many attempts. Wait a moment and try again.",
};

/**
 * Read the notice the gateway left in the query string after a redirect:
 * `?error=<code>` (shown as a fixed sentence: the page never echoes text from the URL)
 * or `?profile=updated|unchanged`.
 *
 * @param search the query string, with or without "?"
 * @returns the notice in words, if any
 */
export function noticeFrom(search: string): { kind: "error" | "info"; text: string } | undefined {
  const q = new URLSearchParams(search);
  const error = q.get("error");
  if (error !== null) {
    return {
      kind: "error",
      text: Object.hasOwn(ERROR_WORDS, error)
        ? String(ERROR_WORDS[error])
        : "Something went wrong while signing you in. Try again.",
    };
  }
  const profile = q.get("profile");
  if (profile === "updated") return { kind: "info", text: "Your profile was updated." };
  if (profile === "unchanged") return { kind: "info", text: "Your profile was not changed." };
  return undefined;
}

const ms = (v: number | null): string => (v === null ? "–" : `${v} ms`);
const errorsText = (errors: Record<string, number>): string => {
  const parts = Object.entries(errors).map(([code, n]) => `${n} × ${code}`);
  return parts.length === 0 ? "none" : parts.join(", ");
};
const ratio = (f: StatusFigures): string =>
  f.hitRatio === null
    ? "–"
    : `${Math.round(f.hitRatio * 1000) / 10} % (${f.hits} of ${f.hits + f.misses})`;

/** The status panel's table and breaker states. */
function statusView(status: GatewayStatus): Child[] {
  const rows: [string, (f: StatusFigures) => string][] = [
    ["Cache hit ratio", ratio],
    ["Upstream calls", (f) => String(f.upstream.calls)],
    ["Upstream p50", (f) => ms(f.upstream.p50Ms)],
    ["Upstream p99", (f) => ms(f.upstream.p99Ms)],
    ["Upstream errors", (f) => errorsText(f.upstream.errors)],
    ["Store p50", (f) => ms(f.store.p50Ms)],
    ["Store p99", (f) => ms(f.store.p99Ms)],
    ["Store errors", (f) => errorsText(f.store.errors)],
  ];
  const breakers = Object.entries(status.breakers).map(([name, state]) =>
    h("li", { class: `chip breaker-${state}` }, `${name}: ${state}`)
  );
  return [
    h(
      "table",
      {},
      h("caption", {}, "Figures of this gateway instance"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "Figure"),
          h("th", { scope: "col" }, "Last minute"),
          h("th", { scope: "col" }, "Since start"),
        ),
      ),
      h(
        "tbody",
        {},
        ...rows.map(([label, read]) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, label),
            h("td", {}, read(status.lastMinute)),
            h("td", {}, read(status.total)),
          )
        ),
      ),
    ),
    h("p", {}, "Circuit breakers"),
    h("ul", { class: "chips", "aria-label": "Circuit breakers" }, ...breakers),
  ];
}
