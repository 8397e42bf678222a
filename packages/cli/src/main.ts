import { Command, CommanderError } from 'commander';
import { TrainyardError } from '@trainyard/client';
import { datasetsCommand } from './commands/datasets.js';
import { modelsCommand } from './commands/models.js';
import { predictCommand } from './commands/predict.js';
import { tasksCommand } from './commands/tasks.js';
import { trainCommand } from './commands/train.js';
import { exitCodes } from './context.js';
import { UsageError } from './rows.js';

const program = new Command('trainyard')
  .description('Train models, predict and follow tasks on a Trainyard API (TRAINYARD_URL, TRAINYARD_API_KEY).')
  .option('--url <url>', 'the API (default: TRAINYARD_URL, else http://localhost:3000)')
  .option('--json', 'print JSON answers for scripts')
  .addHelpText(
    'after',
    `\nExit codes: 0 success, ${exitCodes.taskFailed} the task failed (or was revoked or expired), ` +
      `${exitCodes.usage} usage (bad arguments or a request the API refused as invalid), ${exitCodes.apiError} the API failed or could not be reached.`,
  )
  .showHelpAfterError()
  .exitOverride();

/** Usage errors of every command, nested ones too, exit with exitCodes.usage rather than commander's 1. */
function overrideExits(command: Command): Command {
  command.commands.forEach(overrideExits);
  return command.exitOverride();
}

for (const command of [trainCommand(), predictCommand(), tasksCommand(), datasetsCommand(), modelsCommand()]) {
  program.addCommand(overrideExits(command));
}

/** Why the command failed, as an exit code and the message printed on stderr. */
function failure(error: unknown): { code: number; message?: string } {
  if (error instanceof CommanderError) {
    // Help and version are not failures; commander printed its message already.
    return { code: error.exitCode === 0 ? exitCodes.ok : exitCodes.usage };
  }
  if (error instanceof UsageError) return { code: exitCodes.usage, message: error.message };
  if (error instanceof TrainyardError) {
    const issues = error.issues.map((issue) => `\n  ${issue.path}: ${issue.message}`).join('');
    const usage = error.code === 'invalid_request' || error.code === 'invalid_json';
    return { code: usage ? exitCodes.usage : exitCodes.apiError, message: `${error.message} (${error.code})${issues}` };
  }
  if (error instanceof Error && error.name === 'AbortError') return { code: 130, message: 'stopped watching; the task goes on' };
  return { code: exitCodes.apiError, message: error instanceof Error ? error.message : String(error) };
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const { code, message } = failure(error);
  if (message) process.stderr.write(`trainyard: ${message}\n`);
  process.exitCode = code;
}
