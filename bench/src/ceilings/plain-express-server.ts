/**
 * Ceiling for a cache hit: plain Express 5 that parses the JSON body and answers 200 with a fixed
 * body (the cached answer), touching nothing else. Run as its own process.
 */
import { serveCeiling } from './ceiling-app.js';

const port = Number(process.env.PORT);
const answer = process.env.ANSWER;
if (!port || !answer) throw new Error('PORT and ANSWER are required');

const body = JSON.parse(answer) as unknown;
serveCeiling(port, (app) =>
  app.post('/v1/predict', (_req, res) => {
    res.status(200).json(body);
  }),
);
