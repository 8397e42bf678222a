// Writes housing.csv next to this file: 400 synthetic home sales, the built-in regression sample.
// Run `node packages/shared/samples/generate-housing.mjs`; the seed is fixed, so the output never changes.
//
// What it models: the sale price in thousands (price_k) rises with floor area and rooms and falls
// with the building's age and the distance to the city centre, plus Gaussian noise (sd 25k).
//   price_k = 90 + 2.5·area_m2 + 12·rooms − 0.8·age_years − 4·distance_km + noise
// The relation is linear by design, so linear regression can learn it (R² about 0.98 on held-out rows).
import { writeFileSync } from 'node:fs';
// The same PRNG as seeded trainings, so the file is the same on every machine (needs `npm run build`).
import { seededRandom } from '../dist/platform/seeded-random.js';

const rows = 400;

const random = seededRandom(20_240_601);
const uniform = (min, max) => min + (max - min) * random();
// Box-Muller; 1 - random() keeps the logarithm away from 0.
const gaussian = (sd) => sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

const lines = ['area_m2,rooms,age_years,distance_km,price_k'];
for (let i = 0; i < rows; i++) {
  const area = Math.round(uniform(35, 220));
  // Bigger homes have more rooms, give or take one.
  const rooms = Math.min(8, Math.max(1, Math.round(area / 35 + gaussian(0.8))));
  const age = Math.round(uniform(0, 90));
  const distance = Math.round(uniform(0.5, 20) * 10) / 10;
  const price = 90 + 2.5 * area + 12 * rooms - 0.8 * age - 4 * distance + gaussian(25);
  lines.push([area, rooms, age, distance, price.toFixed(1)].join(','));
}

writeFileSync(new URL('housing.csv', import.meta.url), lines.join('\n') + '\n');
