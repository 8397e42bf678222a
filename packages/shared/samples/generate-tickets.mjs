// Writes tickets.csv next to this file: 480 short customer-support tickets in 4 classes
// (billing, technical, shipping, account), the built-in text-classification sample.
// Run `node packages/shared/samples/generate-tickets.mjs`; the seed is fixed, so the output never changes.
//
// How it is made: each ticket is an optional opener, one sentence from its class's templates with
// the slots filled from small word lists, and an optional closer. The classes share much of their
// vocabulary (order, app, account, email, charged, address…) and some templates sit on a border
// (a charge for an order that never arrived is billing; a crash on the tracking page is technical),
// so a model has to weigh words rather than spot one keyword. And, as in a real inbox, some tickets
// were filed under the wrong queue: 6% carry another class's label. A model that learnt the classes
// reaches about 0.9 accuracy on held-out tickets, not 1.
import { writeFileSync } from 'node:fs';
// The same PRNG as seeded trainings, so the file is the same on every machine (needs `npm run build`).
import { seededRandom } from '../dist/platform/seeded-random.js';

const perClass = 120;
const mislabelled = 0.06;

const random = seededRandom(20_261_127);
const pick = (items) => items[Math.floor(random() * items.length)];
const maybe = (probability, text) => (random() < probability ? text : '');

const slots = {
  amount: ['$12.99', '$49', '$120', '€30', '£8.50', 'twenty dollars', 'the full amount'],
  card: ['credit card', 'debit card', 'PayPal account', 'bank account', 'card'],
  plan: ['premium plan', 'family plan', 'monthly subscription', 'annual subscription', 'pro plan'],
  doc: ['invoice', 'receipt', 'bill', 'statement'],
  when: ['yesterday', 'last week', 'this morning', 'on Monday', 'twice this month', 'since the update'],
  device: ['iPhone', 'Android phone', 'laptop', 'tablet', 'Windows PC', 'Mac'],
  browser: ['Chrome', 'Firefox', 'Safari', 'Edge'],
  screen: ['checkout page', 'settings screen', 'home screen', 'search page', 'dashboard', 'tracking page'],
  error: ['error 500', 'a blank screen', 'an unknown error', 'a timeout message', 'a spinning wheel'],
  item: ['order', 'package', 'parcel', 'shipment', 'box'],
  carrier: ['courier', 'delivery driver', 'post office', 'carrier', 'DHL', 'UPS'],
  days: ['three days', 'a week', 'ten days', 'two weeks', 'five days'],
  credential: ['password', 'email address', 'username', 'phone number', 'security question'],
};
const fill = (template) => template.replace(/\{(\w+)\}/g, (_, slot) => pick(slots[slot]));

const templates = {
  billing: [
    'I was charged {amount} twice for the same {item}',
    'my {card} was charged {amount} {when} but I cancelled the {plan}',
    'please send me a copy of the {doc} for my last payment',
    'the {doc} shows {amount} but the price on the website was lower',
    'I want a refund for the {plan}, I never used it',
    'why did my {plan} renew without asking me',
    'the payment failed with my {card} but the money left my account',
    'can I pay the {doc} by bank transfer instead of {card}',
    'the discount code was not applied and I paid {amount} too much',
    'I was charged for an {item} that never arrived and want my money back',
    'please update the billing address on my {doc}',
    'how do I switch from the {plan} to a cheaper plan',
    'there is a charge of {amount} on my statement I do not recognise',
    'the refund you promised {when} has still not reached my {card}',
    'question about the {doc} for my {item}',
  ],
  technical: [
    'the app crashes on my {device} when I open the {screen}',
    'I get {error} on the {screen} in {browser}',
    'the {screen} does not load since the update',
    'the app is very slow on my {device} {when}',
    'nothing happens when I press the button on the {screen}',
    'the website shows {error} when I try to pay',
    'sync between my {device} and the website stopped working',
    'notifications do not arrive on my {device} anymore',
    'the {screen} crashes with {error} every time I search',
    'images are broken on the {screen} in {browser}',
    'the app froze {when} and now it will not start on my {device}',
    'the tracking page shows {error} instead of my {item}',
    'the login page keeps reloading in {browser} and shows {error}',
    'your API returns {error} for every request since {when}',
    'question about the app on my {device}',
  ],
  shipping: [
    'my {item} has not arrived after {days}',
    'the tracking number for my {item} does not work',
    'the {carrier} left my {item} at the wrong address',
    'my {item} arrived damaged and the box was open',
    'can I change the delivery address for my {item}',
    'the {carrier} says the {item} was delivered but I never got it',
    'my {item} has been stuck at the warehouse for {days}',
    'when will my {item} be shipped, it has been {days}',
    'I received the wrong item in my {item}',
    'do you deliver to my country and how long does shipping take',
    'the {carrier} tried to deliver {when} while I was out, how do I reschedule',
    'half of my {item} is missing, only one box arrived',
    'please send a return label, the {item} came too late',
    'the delivery estimate moved by {days} again',
    'question about my {item} from {when}',
  ],
  account: [
    'I forgot my {credential} and cannot sign in',
    'how do I change the {credential} on my account',
    'my account is locked after too many attempts',
    'please delete my account and all my personal data',
    'I never receive the reset email for my {credential}',
    'someone changed my {credential} and I think my account was hacked',
    'the two-factor code never arrives on my phone',
    'can I merge my two accounts into one',
    'I want to stop the newsletter emails to my account',
    'how do I add my partner to the account',
    'my profile shows the wrong name and {credential}',
    'I cannot verify my {credential}, the link has expired',
    'please unlock my account, I signed up {when}',
    'I changed my {credential} {when} and now I cannot log in',
    'question about my account and my {credential}',
  ],
};

const openers = ['hi,', 'hello,', 'hi there,', 'good morning,', 'help!', 'urgent:', 'dear support,', 'hey,'];
const closers = ['thanks', 'thank you', 'please help', 'please fix this asap', 'this is very frustrating', 'kind regards', 'any update?'];

/** Quotes a CSV field when it holds a comma, a quote or a line break. */
const csvField = (value) => (/[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

const labels = Object.keys(templates);
const rows = [];
for (const [label, classTemplates] of Object.entries(templates)) {
  for (let i = 0; i < perClass; i++) {
    // Every template is used about equally often; the slots and the framing vary.
    const core = fill(classTemplates[i % classTemplates.length]);
    const text = [maybe(0.4, pick(openers)), core, maybe(0.4, pick(closers))].filter(Boolean).join(' ');
    const filedUnder = random() < mislabelled ? pick(labels.filter((other) => other !== label)) : label;
    rows.push({ text, label: filedUnder });
  }
}
// Interleaved, so the file reads like a support inbox rather than four blocks.
for (let i = rows.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [rows[i], rows[j]] = [rows[j], rows[i]];
}

const lines = ['text,label', ...rows.map(({ text, label }) => `${csvField(text)},${label}`)];
writeFileSync(new URL('tickets.csv', import.meta.url), lines.join('\n') + '\n');
