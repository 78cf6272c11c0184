// Every fixed text a person reads in a page, the ack page or the status page, in each language of centinela.yaml's
// `locale`. English is the reference: a Spanish entry missing or extra is a type error, and test/locale checks that
// both languages use the same {placeholders}. Alert summaries and descriptions are the rules' own (alerts.yaml).

const en = {
  // The tag before a headline; a priority's tag is the priority itself ([P0]).
  'tag.resolved': 'RESOLVED',
  'tag.test': 'TEST',

  // What happened to an alert, after its tag (describe.ts).
  'headline.reminder': 'Not acknowledged for {duration}: {title}',
  'headline.escalated': 'Escalated to {level}, not acknowledged: {title}',
  'headline.step': 'Not acknowledged, you are added: {title}',
  'headline.stepAfter': 'Not acknowledged after {duration}, you are added: {title}',
  'headline.priorityRose': 'Now {priority} (was {previous}): {title}',
  'headline.reopened': 'Re-opened, still firing after the acknowledgement: {title}',
  'headline.flapping': 'Flapping, it keeps firing and resolving: {title}',
  'headline.flappingEnded': 'Stopped flapping, still firing: {title}',
  'headline.acknowledged': 'Acknowledged by {who}: {title}',
  'headline.resolved': '{title} (lasted {duration})',
  'headline.group': '{count} alerts: {first} and {rest} more',
  'headline.empty': '(empty notification)',

  // The facts of a page: a name, then its value.
  'fact.what': 'What',
  'fact.test': 'Test',
  'fact.testValue': 'this is a test page from centinela notify-test: no alert is firing and nothing needs doing',
  'fact.sent': 'Sent',
  'fact.priority': 'Priority',
  'fact.priorityValue': '{priority}, response time {duration}',
  'fact.priorityLevelValue': '{priority} ({level}), response time {duration}',
  'fact.since': 'Since',
  'fact.sinceValue': '{time} ({duration} ago)',
  'fact.worst': 'Worst',
  'fact.now': 'Now',
  'fact.value': 'Value',
  'fact.valueThreshold': '{value} (threshold {op} {threshold})',
  'fact.labels': 'Labels',
  'fact.alsoPaged': 'Also paged',
  'fact.nobodyElse': 'nobody else',
  'fact.acknowledged': 'Acknowledged',
  'fact.ackedBy': 'by {who} at {time}',
  'fact.ackedByComment': 'by {who} at {time}: {comment}',
  'fact.ackedByNobody': 'by nobody',
  'fact.resolved': 'Resolved',
  'fact.resolvedValue': '{time}, lasted {duration}',
  'fact.flapping': 'Flapping',
  'fact.flappingValue': 'yes: it keeps changing state',
  'fact.holding': 'Holding back',
  'fact.holdingMore': 'and {count} more',
  'fact.alert': 'Alert',
  'fact.alertIncident': '{id} (incident {incident})',

  // Sections and actions of a page.
  'page.runbook': 'Runbook',
  'page.diagnosis': 'Diagnosis ({probe})',
  'page.acknowledge': 'Acknowledge',
  'page.acknowledgeAlert': 'Acknowledge {title}',
  'page.ackAlert': 'Ack {title}',
  'page.acknowledgeInCentinela': 'Acknowledge in centinela',
  'page.moreAlerts': '…and {count} more alerts',
  'page.moreAlertsInAll': '…and more alerts ({count} in all)',
  'page.smsAck': 'Ack: {url}',
  // A call: Twilio's voice for the language, and what it says after the headline.
  'call.voiceLanguage': 'en-US',
  'call.ackHint': 'Acknowledge it with the link in your messages.',

  // The page `centinela notify-test` sends.
  'test.summary': 'centinela test page for {contact} — no action needed',
  'test.description': 'Sent by `centinela notify-test` to check that this channel reaches you',
  'test.runbook': 'Nothing to do: this is a test',
} as const;

/** The key of a message. */
export type MessageKey = keyof typeof en;

/** The names in `{…}` of a text. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;

/** The values a message needs: one per placeholder. */
export type MessageParams<K extends MessageKey> = Record<Placeholders<(typeof en)[K]>, string | number>;

const es: Record<MessageKey, string> = {
  'tag.resolved': 'RESUELTA',
  'tag.test': 'PRUEBA',

  'headline.reminder': 'Sin reconocer desde hace {duration}: {title}',
  'headline.escalated': 'Escalada a {level}, sin reconocer: {title}',
  'headline.step': 'Sin reconocer, se le añade: {title}',
  'headline.stepAfter': 'Sin reconocer tras {duration}, se le añade: {title}',
  'headline.priorityRose': 'Ahora {priority} (antes {previous}): {title}',
  'headline.reopened': 'Reabierta, sigue activa tras el reconocimiento: {title}',
  'headline.flapping': 'Intermitente, se activa y se resuelve una y otra vez: {title}',
  'headline.flappingEnded': 'Ya no es intermitente, sigue activa: {title}',
  'headline.acknowledged': 'Reconocida por {who}: {title}',
  'headline.resolved': '{title} (duró {duration})',
  'headline.group': '{count} alertas: {first} y {rest} más',
  'headline.empty': '(notificación vacía)',

  'fact.what': 'Qué',
  'fact.test': 'Prueba',
  'fact.testValue':
    'es un aviso de prueba de centinela notify-test: ninguna alerta está activa y no hay nada que hacer',
  'fact.sent': 'Enviado',
  'fact.priority': 'Prioridad',
  'fact.priorityValue': '{priority}, tiempo de respuesta {duration}',
  'fact.priorityLevelValue': '{priority} ({level}), tiempo de respuesta {duration}',
  'fact.since': 'Desde',
  'fact.sinceValue': '{time} (hace {duration})',
  'fact.worst': 'Peor valor',
  'fact.now': 'Ahora',
  'fact.value': 'Valor',
  'fact.valueThreshold': '{value} (umbral {op} {threshold})',
  'fact.labels': 'Etiquetas',
  'fact.alsoPaged': 'También avisados',
  'fact.nobodyElse': 'nadie más',
  'fact.acknowledged': 'Reconocida',
  'fact.ackedBy': 'por {who} el {time}',
  'fact.ackedByComment': 'por {who} el {time}: {comment}',
  'fact.ackedByNobody': 'por nadie',
  'fact.resolved': 'Resuelta',
  'fact.resolvedValue': '{time}, duró {duration}',
  'fact.flapping': 'Intermitente',
  'fact.flappingValue': 'sí: cambia de estado una y otra vez',
  'fact.holding': 'Retiene',
  'fact.holdingMore': 'y {count} más',
  'fact.alert': 'Alerta',
  'fact.alertIncident': '{id} (incidente {incident})',

  'page.runbook': 'Pasos del runbook',
  'page.diagnosis': 'Diagnóstico ({probe})',
  'page.acknowledge': 'Reconocer',
  'page.acknowledgeAlert': 'Reconocer {title}',
  'page.ackAlert': 'Reconocer {title}',
  'page.acknowledgeInCentinela': 'Reconocer en centinela',
  'page.moreAlerts': '…y {count} alertas más',
  'page.moreAlertsInAll': '…y más alertas ({count} en total)',
  'page.smsAck': 'Reconocer: {url}',
  'call.voiceLanguage': 'es-MX',
  'call.ackHint': 'Reconózcala con el enlace de sus mensajes.',

  'test.summary': 'aviso de prueba de centinela para {contact}: no hace falta hacer nada',
  'test.description': 'Enviado por `centinela notify-test` para comprobar que este canal le llega',
  'test.runbook': 'Nada que hacer: es una prueba',
};

/** The catalogue: every message in every language. */
export const CATALOGUE = { en, es } as const satisfies Record<string, Record<MessageKey, string>>;
