import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { createTransport } from 'nodemailer';
import type { z } from 'zod';
import type { Logger, notifyEnv } from '@trainyard/shared/platform';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SentMail {
  messageId: string;
  /** The .eml file the message was written to, when no SMTP server is configured. */
  file?: string;
}

export interface Mailer {
  /** Throws UnrecoverableError when the server refuses the message for good (5xx), a plain Error when a retry may help. */
  send(message: MailMessage): Promise<SentMail>;
  close(): void;
}

export type MailerConfig = Pick<z.output<typeof notifyEnv>, 'SMTP_URL' | 'MAIL_FROM' | 'MAIL_OUTBOX_DIR'>;

/** A notification is retried by its queue, so one attempt should not hang on a dead server for minutes. */
const smtpTimeouts = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** SMTP when SMTP_URL is set; otherwise each message becomes an .eml file in MAIL_OUTBOX_DIR. */
export function createMailer(config: MailerConfig, log: Logger): Mailer {
  return config.SMTP_URL ? smtpMailer(config.SMTP_URL, config.MAIL_FROM) : outboxMailer(resolve(config.MAIL_OUTBOX_DIR), config.MAIL_FROM, log);
}

function smtpMailer(url: string, from: string): Mailer {
  const transport = createTransport({ url, ...smtpTimeouts }, { from });
  return {
    async send(message) {
      try {
        const info = await transport.sendMail(message);
        return { messageId: info.messageId };
      } catch (error) {
        throw isPermanentRefusal(error) ? new UnrecoverableError(`mail refused: ${(error as Error).message}`) : error;
      }
    },
    close: () => transport.close(),
  };
}

/** SMTP 5xx replies (unknown mailbox, policy refusal, bad credentials) come back the same on every retry. */
function isPermanentRefusal(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

function outboxMailer(dir: string, from: string, log: Logger): Mailer {
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' }, { from });
  log.info({ outbox: dir }, 'SMTP_URL is not set: mail is written to .eml files');
  return {
    async send(message) {
      const info = await transport.sendMail(message);
      await mkdir(dir, { recursive: true });
      const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${fileSafe(info.messageId)}.eml`);
      await writeFile(file, info.message as Buffer);
      log.info({ to: message.to, subject: message.subject, file }, 'mail written to the outbox');
      return { messageId: info.messageId, file };
    },
    close: () => transport.close(),
  };
}

/** "<uuid@host>" → "uuid_host" */
function fileSafe(messageId: string): string {
  return messageId.replace(/^<|>$/g, '').replace(/[^\w.-]/g, '_');
}
