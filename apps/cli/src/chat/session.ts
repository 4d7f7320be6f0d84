import { createInterface } from 'node:readline';
import { Approval, isStewardError, parseStrict } from '@steward/protocol';
import type { BrokerClient, ChatStreamEvent } from './client.ts';
import { cleanText, modeLine, renderApproval, renderOutcome, type Style } from './render.ts';

/** Where a chat session writes. */
export interface ChatIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  style: Style;
}

const REPL_HELP = [
  'Type what you want done, e.g. "buy groceries for this week under $80: milk, eggs, bread, bananas".',
  '  approve [id]   approve the approval shown last (or the one with that id)',
  '  decline [id]   decline it',
  '  approvals      list the approvals waiting for you',
  '  exit           leave (Ctrl-D works too)',
].join('\n');

const APPROVAL_ID = /^ap_[A-Za-z0-9_-]{1,64}$/;

/**
 * A conversation with the personal agent through the running broker: sends the person's messages,
 * prints the agent's events as they stream in, renders approval requests from the broker's
 * structured approval, and answers them on the person's word.
 */
export class ChatSession {
  conversationId: string | undefined;
  /** The approval shown last and not yet answered. */
  currentApproval: string | undefined;
  private announcedMode: string | undefined;

  constructor(
    private readonly client: BrokerClient,
    private readonly io: ChatIo,
    conversationId?: string,
  ) {
    this.conversationId = conversationId;
  }

  private line(text: string): void {
    this.io.out.write(`${text}\n`);
  }

  /** Checks the broker and the token (`GET /api/status`) and says which engine answers. */
  async start(): Promise<void> {
    const status = await this.client.json<{ mode?: unknown; model?: unknown }>('GET', '/api/status');
    this.announcedMode = typeof status.mode === 'string' ? status.mode : undefined;
    this.line(modeLine(status.mode, status.model));
  }

  /**
   * Sends one message and prints the reply as it streams. Returns false when the agent or the
   * broker reported an error.
   */
  async send(text: string): Promise<boolean> {
    const { style } = this.io;
    let ok = true;
    const approvals: string[] = [];
    for await (const event of this.client.chat(text, this.conversationId)) {
      if (typeof event.conversationId === 'string') this.conversationId = event.conversationId;
      if (typeof event.mode === 'string' && event.mode !== this.announcedMode) {
        this.announcedMode = event.mode;
        this.line(modeLine(event.mode));
      }
      ok = this.print(event, style) && ok;
      if (event.type === 'done' && typeof event.approvalId === 'string' && APPROVAL_ID.test(event.approvalId)) approvals.push(event.approvalId);
    }
    for (const approvalId of approvals) await this.showApproval(approvalId);
    return ok;
  }

  private print(event: ChatStreamEvent, style: Style): boolean {
    switch (event.type) {
      case 'conversation':
        return true;
      case 'progress':
        this.line(style.dim(`  · ${cleanText(event.text, 1000)}`));
        return true;
      case 'message':
        this.line(cleanText(event.text));
        return true;
      case 'question':
        this.line(`? ${cleanText(event.text, 1000)}`);
        return true;
      case 'done':
        return true;
      case 'error':
        this.io.err.write(`error ${cleanText(event.code, 80) || 'ERR_INTERNAL'}: ${cleanText(event.text, 1000)}\n`);
        return false;
      default:
        // a newer broker's event kind: show its text, if any, as progress
        if (typeof event.text === 'string') this.line(style.dim(`  · ${cleanText(event.text, 1000)}`));
        return true;
    }
  }

  /** Fetches an approval and renders it from its structured fields. */
  async showApproval(approvalId: string): Promise<Approval> {
    const raw = await this.client.json('GET', `/api/approvals/${encodeURIComponent(approvalId)}`);
    const approval = parseStrict(Approval, raw, 'approval');
    this.line(renderApproval(approval, this.io.style));
    if (approval.status === 'pending') {
      this.currentApproval = approval.approvalId;
      this.line(this.io.style.dim('  answer with `approve` or `decline`'));
    }
    return approval;
  }

  /** Approves or declines an approval (the one shown last when no id is given) and prints the outcome. */
  async answer(answer: 'approve' | 'deny', approvalId = this.currentApproval): Promise<void> {
    if (!approvalId) {
      this.line('No approval is waiting here. Type `approvals` to list the ones waiting for you.');
      return;
    }
    const outcome = await this.client.json('POST', `/api/approvals/${encodeURIComponent(approvalId)}`, { answer });
    if (approvalId === this.currentApproval) this.currentApproval = undefined;
    this.line(answer === 'deny' && outcome.status === 'denied' ? 'Declined: nothing was ordered.' : renderOutcome(outcome));
  }

  /** Lists the approvals waiting for the person. */
  async listApprovals(): Promise<void> {
    const { approvals } = await this.client.json<{ approvals?: unknown }>('GET', '/api/approvals');
    const list = Array.isArray(approvals) ? approvals.map((a) => parseStrict(Approval, a, 'approval')) : [];
    if (list.length === 0) {
      this.line('No approvals are waiting for you.');
      return;
    }
    for (const a of list) this.line(renderApproval(a, this.io.style));
    this.currentApproval = list.at(-1)?.approvalId;
  }

  /** Reads the person's lines until `exit` or the end of input, one at a time. */
  async repl(input: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<void> {
    this.line(this.io.style.dim(REPL_HELP));
    const rl = createInterface({ input, output: this.io.out, terminal: input.isTTY === true, prompt: 'you> ' });
    // Ctrl-C on a terminal leaves, like Ctrl-D (readline would otherwise only pause the input)
    rl.on('SIGINT', () => rl.close());
    try {
      rl.prompt();
      for await (const raw of rl) {
        const text = raw.trim();
        if (text === 'exit' || text === 'quit') break;
        if (text !== '') {
          try {
            await this.dispatch(text);
          } catch (error) {
            // one failed request does not end the conversation; the person sees the coded error
            if (!isStewardError(error)) throw error;
            this.io.err.write(`error ${error.code}: ${error.message}\n`);
          }
        }
        rl.prompt();
      }
    } finally {
      rl.close();
    }
  }

  private async dispatch(text: string): Promise<void> {
    const m = /^(approve|decline|deny)(?:\s+(\S+))?$/i.exec(text);
    if (m) {
      const id = m[2];
      if (id !== undefined && !APPROVAL_ID.test(id)) {
        this.line(`\`${cleanText(id, 80)}\` is not an approval id (they look like ap_…).`);
        return;
      }
      await this.answer(m[1]!.toLowerCase() === 'approve' ? 'approve' : 'deny', id ?? this.currentApproval);
      return;
    }
    if (/^approvals$/i.test(text)) return this.listApprovals();
    if (/^(help|\?)$/i.test(text)) {
      this.line(REPL_HELP);
      return;
    }
    await this.send(text);
  }
}
