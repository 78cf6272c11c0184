// HTML for people: escaping and the one small page layout shared by alert emails and the acknowledgement pages.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** A complete, self-contained HTML document (inline styles only: mail clients drop <style> and external CSS). */
export function htmlPage(title: string, bodyHtml: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body style="font-family: -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2328; max-width: 720px; margin: 0 auto; padding: 16px; line-height: 1.45">
${bodyHtml}
<p style="color: #6e7781; font-size: 12px; margin-top: 24px">centinela</p>
</body></html>
`;
}
