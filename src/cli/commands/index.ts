/** The subcommands, in the order `autosnn --help` lists them. */
import type { CommandSpec } from '../command.js';
import { infoCommand } from './info.js';
import { trainCommand } from './train.js';
import { trainTinyCommand } from './train-tiny.js';

export const COMMANDS: readonly CommandSpec[] = [infoCommand, trainCommand, trainTinyCommand];
