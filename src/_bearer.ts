/**
 * The `Authorization: Bearer <credential>` grammar, read by hand: it runs on
 * every RPC request and every session check.
 *
 * @module
 */

/**
 * The credential of an `Authorization: Bearer <credential>` header: `Bearer`
 * (any case), spaces or tabs, the credential (no whitespace), spaces or tabs.
 * Answers as `/^Bearer[ \t]+(\S+)[ \t]*$/i` does (tested on random headers).
 *
 * @param header the header's value, if any
 * @returns the credential, or `undefined` when the header is absent or of another scheme
 */
export function bearerOf(header: string | null | undefined): string | undefined {
  if (header === undefined || header === null || header.length < 8) return undefined;
  if (header.slice(0, 6).toLowerCase() !== "bearer") return undefined;
  let start = 6;
  while (start < header.length && isBlank(header.charCodeAt(start))) start++;
  if (start === 6) return undefined;
  let end = header.length;
  while (end > start && isBlank(header.charCodeAt(end - 1))) end--;
  if (end === start) return undefined;
  for (let i = start; i < end; i++) if (isSpace(header.charCodeAt(i))) return undefined;
  return header.slice(start, end);
}

/** A space or a tab. */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** What `\s` matches in a header value: blanks, line breaks, and the Unicode spaces. */
function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0xa0 || code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff;
}
