// The email notifier: nodemailer over SMTP (STARTTLS, implicit TLS or plain), text and HTML bodies.
import { readFile } from 'node:fs/promises';
import type { Transporter } from 'nodemailer';
import type { EmailChannelConfig } from '../config/schema.js';
import { loadPackage } from '../load-package.js';
import { type Locale, t } from '../locale/locale.js';
import { describeItem, headline, textBody } from './describe.js';
import { fromSmtpError } from './failure-class.js';
import { escapeHtml } from './html.js';
import { defineNotifier, type Notification } from './notifier.js';

/** A rendered email plus the SMTP settings to send it with. */
export interface EmailMessage {
  smtp: EmailChannelConfig['smtp'];
  /** Undefined when the contact has no address: send refuses it with a clear reason. */
  to?: string;
  contact: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** `high` (X-Priority 1) while a P0 is firing. */
  priority: 'high' | 'normal';
  headers: Record<string, string>;
}

function itemHtml(n: Notification, index: number): string {
  const item = n.items[index];
  if (!item) return '';
  const d = describeItem(item, n);
  const lang = n.reading.locale;
  const color = item.kind === 'resolved' ? '#1a7f37' : item.alert.priority === 'P0' ? '#cf222e' : '#9a6700';
  const rows = d.facts
    .map(
      ([k, v]) =>
        `<tr><th style="text-align: left; vertical-align: top; padding: 2px 12px 2px 0; white-space: nowrap">${escapeHtml(k)}</th><td style="padding: 2px 0">${escapeHtml(v)}</td></tr>`,
    )
    .join('');
  let out = `<h2 style="font-size: 18px; color: ${color}">${escapeHtml(d.headline)}</h2><table style="border-collapse: collapse">${rows}</table>`;
  if (d.ackUrl) {
    out += `<p><a href="${escapeHtml(d.ackUrl)}" style="display: inline-block; background: #0969da; color: #fff; padding: 8px 16px; border-radius: 6px; text-decoration: none">${escapeHtml(t(lang, 'page.acknowledge'))}</a></p>`;
  }
  if (d.timelineUrl) out += `<p><a href="${escapeHtml(d.timelineUrl)}">${escapeHtml(t(lang, 'page.timeline'))}</a></p>`;
  if (d.runbook.length)
    out += `<h3 style="font-size: 15px">${escapeHtml(t(lang, 'page.runbook'))}</h3><ol>${d.runbook.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>`;
  for (const diag of d.diagnosis) {
    out += `<h3 style="font-size: 15px">${escapeHtml(t(lang, 'page.diagnosis', { probe: diag.probe }))}</h3><pre style="background: #f6f8fa; padding: 8px; overflow-x: auto; white-space: pre-wrap">${escapeHtml(diag.detail)}</pre>`;
  }
  return out;
}

/** A complete, self-contained HTML document (inline styles only: mail clients drop <style> and external CSS). */
function htmlPage(title: string, bodyHtml: string, lang: Locale): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head>
<body style="font-family: -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1f2328; max-width: 720px; margin: 0 auto; padding: 16px; line-height: 1.45">
${bodyHtml}
<p style="color: #6e7781; font-size: 12px; margin-top: 24px">centinela</p>
</body></html>
`;
}

/** Email over SMTP. */
export default defineNotifier<EmailChannelConfig, EmailMessage>({
  kind: 'email',
  render(n, cfg) {
    const subject = headline(n);
    const test = n.items.some((i) => i.kind === 'test');
    return {
      smtp: cfg.smtp,
      to: n.contact.email,
      contact: n.contact.id,
      subject,
      text: textBody(n),
      html: htmlPage(subject, n.items.map((_, i) => itemHtml(n, i)).join('<hr>'), n.reading.locale),
      messageId: `<${n.id}@centinela>`,
      priority: n.items.some((i) => i.alert.priority === 'P0' && i.kind !== 'resolved') ? 'high' : 'normal',
      headers: {
        // Alert names are plain words (ids hold quotes and braces that mail encodes), good for mail filters.
        'X-Centinela-Alerts': [...new Set(n.items.map((i) => i.alert.alertname))].join(', ').slice(0, 900),
        ...(test ? { 'X-Centinela-Test': 'yes' } : {}),
      },
    };
  },
  async send(m, { signal }) {
    const what = `email to ${m.contact} via ${m.smtp.host}:${m.smtp.port}`;
    if (!m.to) return { ok: false, retryable: false, reason: `${what}: contact "${m.contact}" has no email address` };
    // Loaded at the first email; one that cannot load fails the delivery for good with its reason (see deliver).
    const { default: nodemailer } = await loadPackage('nodemailer', () => import('nodemailer'));
    let transport: Transporter | undefined;
    try {
      const { smtp } = m;
      transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.security === 'tls',
        requireTLS: smtp.security === 'starttls',
        ignoreTLS: smtp.security === 'none',
        auth: smtp.user ? { user: smtp.user, pass: smtp.password?.reveal() } : undefined,
        tls: {
          rejectUnauthorized: !smtp.tls?.insecure,
          ...(smtp.tls?.ca_file ? { ca: await readFile(smtp.tls.ca_file) } : {}),
        },
      });
      // nodemailer takes the signal itself and closes the connection on abort: a hung server keeps no socket.
      await transport.sendMail({
        from: smtp.from,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
        messageId: m.messageId,
        priority: m.priority,
        headers: m.headers,
        signal,
      });
      return { ok: true };
    } catch (err) {
      return fromSmtpError(err, what, signal);
    } finally {
      transport?.close();
    }
  },
});
