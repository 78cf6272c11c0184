// The contract of a webhook format: its file in formats/ declares how it renders a notification, which URL names
// its receiver and whether the receiver keeps incidents of its own, so webhook.ts holds no format's knowledge.
import type { WebhookChannelConfig } from '../../config/schema.js';
import type { Notification } from '../notifier.js';
import type { HttpRequest } from './request.js';

/** A format's name: `format:` in escalation.yaml. */
export type FormatName = WebhookChannelConfig['format'];

/** The channel config of format `F`. */
export type FormatConfig<F extends FormatName> = Extract<WebhookChannelConfig, { format: F }>;

/** One webhook format; `format` equals its file name. */
export interface WebhookFormat<F extends FormatName> {
  format: F;
  /** The POSTs of one notification, in order (pure); each carries a key stable for the notification's id. */
  render(n: Notification, cfg: FormatConfig<F>): HttpRequest[];
  /** The receiver's URL as configured; failure reasons show only its origin (paths and queries hold tokens). */
  endpoint(cfg: FormatConfig<F>): string;
  /** Set when the receiver keeps an incident of its own open until told: it must hear every ack and resolution. */
  hearsIncidentUpdates?: true;
}

/** Declares a webhook format with its types checked. */
export const defineFormat = <F extends FormatName>(f: WebhookFormat<F>) => f;
