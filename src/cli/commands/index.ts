/** The subcommands, in the order `autosnn --help` lists them. */
import type { CommandSpec } from '../command.js';
import { infoCommand } from './info.js';
import { trainCommand } from './train.js';
import { trainTinyCommand } from './train-tiny.js';
import { retrainCommand, searchCommand } from './search.js';
import { exportCommand, inspectCommand } from './export.js';
import { calibrateCommand, estimateCommand, probesCommand } from './energy.js';
import { deployCommand, devicesCommand } from './bridge.js';
import { demoCommand } from './demo.js';

export const COMMANDS: readonly CommandSpec[] = [
  demoCommand,
  infoCommand,
  trainCommand,
  searchCommand,
  retrainCommand,
  exportCommand,
  inspectCommand,
  estimateCommand,
  probesCommand,
  calibrateCommand,
  devicesCommand,
  deployCommand,
  trainTinyCommand,
];
