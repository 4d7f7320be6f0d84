import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { BrokerClient, resolveConnection } from '../chat/client.ts';
import { styleFor } from '../chat/render.ts';
import { ChatSession } from '../chat/session.ts';

/**
 * `steward chat`: talk to the personal agent through the running broker (`STEWARD_URL`, token from
 * `STEWARD_TOKEN` or the data directory's token file). A readline conversation, or `--once`.
 * @see /docs/agent.md
 */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('chat')
    .description('talk to your agent through the running broker; answer its approvals with `approve` / `decline`')
    .option('--once <text>', 'send one message, print the reply and exit')
    .option('--conversation <id>', 'continue a conversation (its id starts with conv_)')
    .action(async (options: { once?: string; conversation?: string }) => {
      const connection = resolveConnection(ctx.brokerUrl, ctx.dataDir, process.env);
      const out = process.stdout;
      const session = new ChatSession(
        new BrokerClient(connection),
        { out, err: process.stderr, style: styleFor(out, process.env) },
        options.conversation,
      );
      await session.start();
      if (options.once !== undefined) {
        const ok = await session.send(options.once);
        if (session.currentApproval) {
          out.write(`To answer it: \`steward chat\` then \`approve\` or \`decline\`, or open the web app.\n`);
        }
        if (session.conversationId) out.write(`conversation: ${session.conversationId}\n`);
        if (!ok) process.exitCode = 1;
        return;
      }
      await session.repl(process.stdin);
    });
}
