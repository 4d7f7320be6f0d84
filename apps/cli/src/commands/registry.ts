import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { register as start } from './start.ts';
import { register as profile } from './profile.ts';
import { register as provenance } from './provenance.ts';
import { register as policy } from './policy.ts';
import { register as audit } from './audit.ts';
import { register as keys } from './keys.ts';
import { register as vendors } from './vendors.ts';
import { register as chat } from './chat.ts';
import { register as orders } from './orders.ts';

/** A command group: adds its subcommands to the program. */
export type RegisterCommands = (program: Command, ctx: CliContext) => void;

/** Every command group, in the order `steward --help` lists them. */
export const registry: RegisterCommands[] = [
  start,
  profile,
  provenance,
  policy,
  audit,
  keys,
  vendors,
  chat,
  orders,
];
