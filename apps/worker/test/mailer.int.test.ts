import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { UnrecoverableError } from 'bullmq';
import { simpleParser, type ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { finishedTask } from '@trainyard/test-support/task-resources';
import { createMailer, type Mailer } from '../src/notify/mailer.js';
import { renderTaskEmail } from '../src/notify/task-email.js';

const trained = finishedTask();
const email = renderTaskEmail(trained, 'http://localhost:3000');
const from = 'Trainyard <noreply@trainyard.test>';

/** Log lines as JSON objects, so a test can read what an operator would. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('SMTP mailer', () => {
  interface Delivery {
    from: string;
    to: string[];
    mail: ParsedMail;
  }
  let server: SMTPServer;
  let port: number;
  let deliveries: Delivery[];
  let mailer: Mailer;

  /** Recipients the server refuses, with the SMTP reply code it refuses them with. */
  const refused: Record<string, number> = { 'gone@example.com': 550, 'busy@example.com': 451 };

  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        if (auth.username === 'trainyard' && auth.password === 's3cret:pass') callback(null, { user: auth.username });
        else callback(new Error('invalid credentials'));
      },
      onRcptTo(address, _session, callback) {
        const code = refused[address.address];
        callback(code ? Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: code }) : undefined);
      },
      onData(stream, session, callback) {
        simpleParser(stream)
          .then((mail) => {
            const envelope = session.envelope;
            deliveries.push({
              from: envelope.mailFrom ? envelope.mailFrom.address : '',
              to: envelope.rcptTo.map((rcpt) => rcpt.address),
              mail,
            });
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(resolve)));

  beforeEach(() => {
    deliveries = [];
    mailer = createMailer(
      { SMTP_URL: `smtp://trainyard:${encodeURIComponent('s3cret:pass')}@127.0.0.1:${port}`, MAIL_FROM: from, MAIL_OUTBOX_DIR: 'unused' },
      pino({ level: 'silent' }),
    );
  });

  afterEach(() => mailer.close());

  it('delivers the task email to the recipient, with subject, text and HTML parts', async () => {
    const sent = await mailer.send({ to: 'ml-team@example.com', ...email });

    expect(sent.messageId).toMatch(/^<.+@.+>$/);
    expect(deliveries).toHaveLength(1);
    const [delivery] = deliveries as [Delivery];
    expect(delivery.from).toBe('noreply@trainyard.test');
    expect(delivery.to).toEqual(['ml-team@example.com']);
    expect(delivery.mail.subject).toBe('[Trainyard] train iris v3 succeeded (accuracy 0.97)');
    expect(delivery.mail.from?.value).toEqual([{ name: 'Trainyard', address: 'noreply@trainyard.test' }]);
    expect(delivery.mail.text).toContain('Metrics:     accuracy 0.97');
    expect(delivery.mail.text).toContain('Details: http://localhost:3000/v1/tasks/train-00112233445566778899aabbccddeeff');
    expect(delivery.mail.html).toContain('<a href="http://localhost:3000/v1/tasks/train-00112233445566778899aabbccddeeff">');
  });

  it('gives up for good when the server refuses the recipient permanently (5xx)', async () => {
    const sending = mailer.send({ to: 'gone@example.com', ...email });
    await expect(sending).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(sending).rejects.toThrow('mail refused');
    expect(deliveries).toHaveLength(0);
  });

  it('leaves a temporary refusal (4xx) to be retried', async () => {
    const error = await mailer.send({ to: 'busy@example.com', ...email }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect((error as { responseCode?: number }).responseCode).toBe(451);
  });

  it('treats wrong credentials as permanent', async () => {
    const wrong = createMailer({ SMTP_URL: `smtp://trainyard:nope@127.0.0.1:${port}`, MAIL_FROM: from, MAIL_OUTBOX_DIR: 'unused' }, pino({ level: 'silent' }));
    try {
      await expect(wrong.send({ to: 'ml-team@example.com', ...email })).rejects.toBeInstanceOf(UnrecoverableError);
    } finally {
      wrong.close();
    }
  });
});

describe('outbox mailer (no SMTP_URL)', () => {
  let outbox: string;

  beforeEach(async () => {
    outbox = join(await mkdtemp(join(tmpdir(), 'trainyard-outbox-')), 'outbox');
  });

  afterEach(() => rm(join(outbox, '..'), { recursive: true, force: true }));

  it('writes each message as a parseable .eml file and logs where', async () => {
    const { log, lines } = capturedLogger();
    const mailer = createMailer({ MAIL_FROM: from, MAIL_OUTBOX_DIR: outbox }, log);

    const sent = await mailer.send({ to: 'ml-team@example.com', ...email });
    mailer.close();

    expect(await readdir(outbox)).toEqual([expect.stringMatching(/\.eml$/)]);
    expect(sent.file).toBe(join(outbox, (await readdir(outbox))[0]!));
    const mail = await simpleParser(await readFile(sent.file!));
    expect(mail.subject).toBe('[Trainyard] train iris v3 succeeded (accuracy 0.97)');
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toBe('ml-team@example.com');
    expect(mail.from?.value).toEqual([{ name: 'Trainyard', address: 'noreply@trainyard.test' }]);
    expect(mail.messageId).toBe(sent.messageId);
    expect(mail.text).toContain('Model:       iris version 3');
    expect(mail.html).toContain('<th align="left">Model</th><td>iris version 3</td>');
    expect(lines).toEqual([
      expect.objectContaining({ outbox, msg: 'SMTP_URL is not set: mail is written to .eml files' }),
      expect.objectContaining({ file: sent.file, to: 'ml-team@example.com', msg: 'mail written to the outbox' }),
    ]);
  });
});
