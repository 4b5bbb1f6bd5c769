/** Replaces the password of each URL (`scheme://user:password@host`, comma-separated lists too) with `***`. */
export function redactUrl(url: string): string {
  return url.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s,]*):[^@\s]*?@/gi, '$1:***@');
}

/** Removes every occurrence of `secret` from `text` (for error messages echoing a connection string). */
export function scrub(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join('***');
}

/** The password part of a URL, decoded, when it has one. */
export function passwordOf(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
