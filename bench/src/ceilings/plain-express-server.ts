/**
 * Ceiling for a cache hit: plain Express 5 that parses the JSON body and answers 200 with a fixed
 * body (the cached answer), touching nothing else. Run as its own process.
 */
import express from 'express';

const port = Number(process.env.PORT);
const answer = process.env.ANSWER;
if (!port || !answer) throw new Error('PORT and ANSWER are required');

const body = JSON.parse(answer) as unknown;
const app = express();
app.use(express.json());
app.post('/v1/predict', (_req, res) => {
  res.status(200).json(body);
});
app.get('/health', (_req, res) => {
  res.json({ status: 'ok' });
});

const server = app.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
