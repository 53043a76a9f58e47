/** Text into HTML element content or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON safe inside `<script type="application/json">`: no `<` at all (so neither `</script>` nor
 * `<!--` can end or confuse the element) and no U+2028/U+2029, which older parsers treat as newlines.
 * `JSON.parse` reads the escapes back as the same characters.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Inline JavaScript (a vendored library) that must not close its own `<script>` element early. */
export function scriptForInline(source: string): string {
  // `<\/` means the same as `</` in JS strings, regexes (even with the u flag) and comments.
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

/** Markdown table cell: pipes and newlines would break the row. */
export function escapeMarkdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
