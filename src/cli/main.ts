import { Command, CommanderError, Option } from 'commander';
import { BUILTIN_FEATURE_SPECS } from '../features/index.js';
import { MODEL_KINDS } from '../models/index.js';
import { augmentKinds } from '../training/augment.js';
import { FRAUD_BENCHMARK_MODELS } from '../training/fraud-benchmark-job.js';
import { VIGIL_VERSION } from '../training/version.js';
import { runBenchmarkFraudCommand } from './benchmark-command.js';
import { runDemoCommand } from './demo-command.js';
import { runEvaluateCommand } from './evaluate-command.js';
import { runExportCommand } from './export-command.js';
import { runFeaturesCommand } from './features-command.js';
import { runImportOnnxCommand } from './import-onnx-command.js';
import { type CliIO, processIO, reportError } from './output.js';
import { runPredictCommand } from './predict-command.js';
import { runServeCommand } from './serve-command.js';
import { runSimulateCommand } from './simulate-command.js';
import { addSynthFitSampleCommands } from './synth-command.js';
import { addSynthReportCommand } from './synth-report-command.js';
import { runTrainCommand } from './train-command.js';

/** Builds the command tree. Handlers get parsed, validated options and the IO to write to. */
function buildProgram(io: CliIO, run: (task: () => Promise<void>) => void): Command {
  const program = new Command('vigil')
    .description('Deep learning for financial risk control: credit default scoring, fraud detection, risk monitoring.')
    .version(VIGIL_VERSION, '--version')
    .option('--verbose', 'print stack traces and extra detail on errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  program
    .command('train')
    .description('train a model on a CSV file and write a verified model bundle')
    .requiredOption('--data <file>', 'training data: CSV, plain or .gz')
    .option('--delimiter <char>', 'CSV delimiter (default: detected among , ; tab |)')
    .requiredOption('--target <column>', 'column to predict')
    .option('--positive <value>', 'binary target value that counts as positive (the risky outcome)')
    .option('--split-column <column>', 'rows where this column is truthy (true/1/yes) form the test part')
    .option('--test-fraction <f>', 'random stratified test fraction, e.g. 0.25 (default when no split is given)')
    .option(
      '--time-column <column>',
      "datetime column for an out-of-time split (with --test-from; with --features the spec's timestamp)",
    )
    .option(
      '--test-from <date>',
      'rows at or after this date form the test part (with --time-column, or alone with --features)',
    )
    .addOption(
      new Option('--task <task>', 'what to predict (default binary)').choices(['binary', 'multiclass', 'regression']),
    )
    .addOption(
      new Option(
        '--model <kind>',
        'model family; cnn, lstm and lstm-attention read sequences and need --features; autoencoder gives an anomaly score',
      )
        .choices([...MODEL_KINDS])
        .default('mlp'),
    )
    .option(
      '--features <spec>',
      `read raw transactions through a feature spec (${BUILTIN_FEATURE_SPECS.join(', ')} or a .json file) and train on the replayed features`,
    )
    .option(
      '--sequence-key <key>',
      "sequence models: whose previous transactions form a row's sequence, an entity (customerId) or the column the spec maps to it (default: the spec's, else the customer)",
    )
    .option(
      '--sequence-length <n>',
      "sequence models: previous transactions per row, plus the current one (default: the spec's, else 5)",
    )
    .option('--seed <n>', 'random seed; the same seed gives the same model', '1')
    .option('--epochs <n>', 'maximum training epochs (early stopping usually stops sooner)')
    .option(
      '--threads <n>',
      'training threads for mlp/ensemble (default: both cores for 16,384+ rows; 1 = this thread only)',
    )
    .option('--threshold <policy>', 'decision threshold policy: max-f1, recall:R or cost:FP:FN', 'max-f1')
    .option('--schema <file>', 'JSON file overriding inferred column kinds, e.g. {"columns":{"zip":"categorical"}}')
    .addOption(
      new Option(
        '--augment <kind>',
        'binary tasks: add synthetic minority rows to the rows the model is fitted on, made from their minority rows; the validation slice (early stopping, threshold) and the test part stay real',
      ).choices(augmentKinds()),
    )
    .option('--augment-ratio <r>', 'synthetic minority rows per real one (default 1: the minority doubled)')
    .requiredOption('--out <dir>', 'directory to write the model bundle to')
    .option('--json', 'print one JSON object with the results on stdout')
    .action((_opts, command: Command) => run(() => runTrainCommand(command.optsWithGlobals(), io)));

  program
    .command('evaluate')
    .description('measure a model bundle on labelled data; optionally write an HTML report')
    .requiredOption('--model <dir>', 'model bundle directory')
    .requiredOption('--data <file>', 'labelled data: CSV, plain or .gz')
    .option('--delimiter <char>', 'CSV delimiter (default: detected among , ; tab |)')
    .option('--split-column <column>', 'evaluate only rows where this column is truthy (the test rows)')
    .option(
      '--time-column <column>',
      'datetime column of --test-from, and of the days of --card-column (a bundle with a feature spec uses its timestamp)',
    )
    .option('--test-from <date>', 'evaluate only rows from this date on (by --time-column or the spec timestamp)')
    .option(
      '--card-column <column>',
      'also report Card Precision@k: cards ranked per day by their highest score, share of compromised among the top k',
    )
    .option('--k <n>', 'k of Card Precision@k (default 100)')
    .option('--report <file.html>', 'write a self-contained HTML report')
    .option('--json', 'print one JSON object with the metrics on stdout')
    .action((_opts, command: Command) => run(() => runEvaluateCommand(command.optsWithGlobals(), io)));

  program
    .command('predict')
    .description('score a CSV file with a model bundle, streaming, to a CSV of id, score and decision')
    .requiredOption('--model <dir>', 'model bundle directory')
    .requiredOption(
      '--data <file>',
      'rows to score: CSV, plain or .gz; for a bundle with a feature spec, raw transactions in time order with their history',
    )
    .option('--delimiter <char>', 'CSV delimiter (default: detected among , ; tab |)')
    .requiredOption('--out <file>', 'output CSV')
    .option(
      '--score-from <date>',
      'bundle with a feature spec: score only transactions from this date on; earlier rows are history only',
    )
    .addOption(
      new Option('--engine <engine>', 'runtime for network models (tfjs = TensorFlow.js, as in training)')
        .choices(['onnx', 'tfjs'])
        .default('onnx'),
    )
    .action((_opts, command: Command) => run(() => runPredictCommand(command.optsWithGlobals(), io)));

  program
    .command('serve')
    .description(
      'the real-time risk service: score transactions, and decide login and behaviour events by the rules, over HTTP with a bundle trained with --features',
    )
    .option(
      '--model <dir>',
      'model bundle directory (trained with vigil train --features); required here or in --config',
    )
    .option(
      '--config <file>',
      'JSON settings: model, db, port, host, rules, reviewFrom, maxLatenessSeconds, durability, apiKeys, apiKeysSha256, bodyLimitBytes, rateLimit, earlyWarning, modelAlerts (flags win)',
    )
    .option('--rules <file>', 'JSON rule set to start with; wins over the set the audit store had active last')
    .option('--db <file>', 'SQLite audit store, created when missing (default: vigil.db)')
    .option('--port <n>', 'port to listen on, 0 for any free port (default: 8080)')
    .option('--host <host>', 'address to listen on (default: 127.0.0.1)')
    .option('--review-from <score>', "start of the review band (default: half the bundle's threshold)")
    .option('--snapshot-events <n>', 'snapshot the online state every N events (0: not by count)', '50000')
    .option('--snapshot-seconds <t>', 'snapshot the online state every T seconds (0: not by time)', '300')
    .option(
      '--snapshot-catch-up-ms <ms>',
      'how often the snapshot worker thread follows the log between snapshot points (its copy of the state; default 1000)',
    )
    .option(
      '--max-lateness <seconds>',
      'take events up to this much earlier than the latest one, as of the latest time (default 0: strict time order)',
    )
    .option(
      '--durability <level>',
      'what an answered decision survives: process (the process being killed or crashing; an OS crash or power cut too once answered over 100 ms earlier: the log is synced to disk every 100 ms, no answer waits for it) or machine (all of them at once: every answer waits for a disk sync) (default: process)',
    )
    .option(
      '--alert-high-risk-in-window <n>',
      'early warning: alert when a terminal, IP, device or customer has N review/decline decisions in the window (default 12 in 10 minutes)',
    )
    .option(
      '--alert-customers-per-ip <n>',
      'early warning: alert when an IP address is used by N distinct customers in a UTC day (default 40)',
    )
    .option(
      '--alert-customers-per-device <n>',
      'early warning: alert when a device is used by N distinct customers in a UTC day (default 10)',
    )
    .option(
      '--alert-failed-logins <n>',
      'early warning: alert when a customer has N failed logins in the window (default 5)',
    )
    .option('--no-early-warning', 'no early-warning indicators or alerts (whatever the config file says)')
    .option('--no-model-alerts', 'no model alert for each decline')
    .option(
      '--insecure-no-auth',
      'serve without API keys (every route open); refused otherwise when VIGIL_API_KEYS is empty',
    )
    .addOption(
      new Option('--engine <engine>', 'runtime for network models (tfjs = TensorFlow.js, as in training)')
        .choices(['onnx', 'tfjs'])
        .default('onnx'),
    )
    .action((_opts, command: Command) => run(() => runServeCommand(command.optsWithGlobals(), io)));

  program
    .command('export')
    .description("write a bundle's network(s) as ONNX files for other runtimes")
    .requiredOption('--model <dir>', 'model bundle directory (mlp or ensemble)')
    .addOption(new Option('--format <format>', 'file format').choices(['onnx']).makeOptionMandatory())
    .option('--out <file>', 'output file (default: DIR/model.onnx, listed in the bundle SHA256SUMS)')
    .option('--json', 'print one JSON object with the files written on stdout')
    .action((_opts, command: Command) => run(() => runExportCommand(command.optsWithGlobals(), io)));

  program
    .command('import-onnx')
    .description('wrap an ONNX model trained elsewhere in a verified bundle that vigil predict can score')
    .requiredOption('--model <file>', 'the .onnx file')
    .requiredOption('--schema <file>', 'JSON schema listing the input columns in model order with their kinds')
    .requiredOption('--out <dir>', 'directory to write the model bundle to')
    .addOption(
      new Option('--task <task>', 'what the model predicts')
        .choices(['binary', 'multiclass', 'regression'])
        .default('binary'),
    )
    .addOption(
      new Option('--output <kind>', 'what the output holds (default proba; value for regression)').choices([
        'proba',
        'logit',
        'value',
      ]),
    )
    .option('--input-name <name>', 'graph input to feed (default: the only one)')
    .option('--output-name <name>', 'graph output to read (default: the first tensor output)')
    .option('--json', 'print one JSON object with the result on stdout')
    .action((_opts, command: Command) => run(() => runImportOnnxCommand(command.optsWithGlobals(), io)));

  program
    .command('simulate')
    .description('write a simulated card and online transaction stream with fraud scenarios (docs/simulator.md)')
    .option('--customers <n>', 'customers (cards)', '5000')
    .option('--terminals <n>', 'terminals and online merchants', '10000')
    .option('--days <n>', 'days of transactions', '30')
    .option('--seed <n>', 'random seed; the same seed gives the same file', '1')
    .option('--start-date <date>', 'first day, YYYY-MM-DD (UTC)', '2025-01-01')
    .requiredOption('--out <file>', 'transactions CSV (.gz to compress)')
    .option('--labels <file>', 'also write the label feed: TRANSACTION_ID, LABEL_DATETIME, TX_FRAUD')
    .option('--json', 'print one JSON object with the counts on stdout')
    .action((_opts, command: Command) => run(() => runSimulateCommand(command.optsWithGlobals(), io)));

  program
    .command('features')
    .description("replay a transaction file through a feature spec and write every row's features as CSV")
    .requiredOption('--data <file>', 'transactions in time order: CSV, plain or .gz')
    .requiredOption('--spec <spec>', `a built-in spec (${BUILTIN_FEATURE_SPECS.join(', ')}) or a spec .json file`)
    .requiredOption('--out <file>', 'output CSV (.gz to compress): id, the features, label')
    .option('--json', 'print one JSON object with the result on stdout')
    .action((_opts, command: Command) => run(() => runFeaturesCommand(command.optsWithGlobals(), io)));

  program
    .command('benchmark')
    .description('run a standard evaluation protocol')
    .command('fraud')
    .description("the fraud handbook's protocol (train a week, 7-day delay, test a week) for every fraud model")
    .requiredOption('--data <file>', 'labelled transactions in time order: CSV, plain or .gz')
    .option(
      '--features <spec>',
      `feature spec: built-in (${BUILTIN_FEATURE_SPECS.join(', ')}) or a .json file`,
      'fraud-handbook',
    )
    .option('--models <list>', `comma-separated, default all: ${FRAUD_BENCHMARK_MODELS.join(',')}`)
    .option('--seeds <list>', 'comma-separated seeds; figures are their mean', '1,2,3')
    .option('--train-start <date>', 'first day of the training week', '2018-07-25')
    .option('--sequence-length <n>', "earlier transactions per sequence row (default: the spec's, else 5)")
    .addOption(
      new Option(
        '--augment <kind>',
        'add synthetic frauds, made from the training week, to the rows logistic/mlp/ensemble are fitted on (test week real)',
      ).choices(augmentKinds()),
    )
    .option('--augment-ratio <r>', 'synthetic frauds per real one of the training week (default 1)')
    .option('--json', 'print one JSON object {models: {name: {auc, ap, cpAt100, trainSeconds}}, featureRowsPerSec}')
    .action((_opts, command: Command) => run(() => runBenchmarkFraudCommand(command.optsWithGlobals(), io)));

  const synth = program.command('synth').description('synthetic tabular data (docs/synthesis.md)');
  addSynthFitSampleCommands(synth, io, run);
  addSynthReportCommand(synth, io, run);

  program
    .command('demo')
    .description('generate synthetic credit applications, train, evaluate and write a report')
    .option('--out <dir>', 'directory for the demo data, bundle and report', 'vigil-demo')
    .option('--rows <n>', 'number of synthetic applications', '20000')
    .option('--seed <n>', 'random seed', '1')
    .addOption(new Option('--model <kind>', 'model family').choices(['logistic', 'mlp', 'ensemble']).default('mlp'))
    .action((_opts, command: Command) => run(() => runDemoCommand(command.optsWithGlobals(), io)));

  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 success, 1 a failure (bad data, bad bundle),
 * 2 a usage error (unknown flag, bad flag value).
 */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const verbose = argv.includes('--verbose');
  let pending: Promise<void> | undefined;
  const program = buildProgram(io, (task) => {
    pending = task();
  });
  try {
    await program.parseAsync(argv);
    if (pending) await pending;
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (help, version, or the usage error).
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0)
        return 0;
      return 2;
    }
    return reportError(io, error, verbose);
  }
}
