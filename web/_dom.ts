/**
 * A tiny DOM builder for the browser page: `h("button", { type: "button" }, "Go")`.
 *
 * @module
 */

/** A child of {@linkcode h}: nodes, text, or nothing (skipped). */
export type Child = Node | string | null | undefined | false;

/** Attributes of {@linkcode h}: strings and booleans are attributes, functions `on*` listeners. */
export type Props = Record<string, string | boolean | undefined | ((ev: Event) => void)>;

/**
 * Create an element with attributes, listeners and children.
 *
 * @param tag the tag name
 * @param props attributes (`false`/`undefined` omitted, `true` empty) and `on<event>` listeners
 * @param children nodes or text
 * @returns the element
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else {
      el.setAttribute(name, value === true ? "" : value);
    }
  }
  append(el, children);
  return el;
}

/**
 * Append children to a node, skipping empty ones.
 *
 * @param parent the node to append to
 * @param children nodes or text
 */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/**
 * Replace the children of a node.
 *
 * @param parent the node to fill
 * @param children its new children
 */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}
