/**
 * Patterns that mark vendor text as something other than a product description. They only ever
 * raise flags or quarantine text; the gate is always the policy engine (THREATS #1, #4, #8, #9).
 * Framing tokens are different: they exist only to fake a role boundary, so they are refused (#2).
 */

/** Tokens that imitate chat-template or tool framing. A vendor field carrying one is refused. */
export const FRAMING_TOKENS: readonly RegExp[] = [
  /<\|?\s*(im_start|im_end|system|assistant|user|endoftext|eot_id|start_header_id|end_header_id)\s*\|?>/i,
  /<\/?\s*(system|tool|tool_call|tool_result|function_call|assistant|user|instructions?)\s*>/i,
  /#{2,}\s*\(?\s*(system|assistant|user)[\s_-]*(message|prompt)?\s*\)?/i,
  /\[\/?(INST|SYS)\]|<<\/?SYS>>/,
  /^\s*(system|assistant)\s*:/im,
];

/** Phrases that address the assistant instead of describing goods (instruction-like text). */
export const INSTRUCTION_PATTERNS: readonly RegExp[] = [
  /\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|earlier|all|your|the)\b.{0,20}\b(instructions?|rules?|polic(y|ies)|limits?|caps?|budget|prompt)/i,
  /\b(assistant|agent|ai|model|llm|bot)\b.{0,30}\b(must|should|is (now )?(instructed|required|allowed)|has been (told|authori[sz]ed))\b/i,
  /\byou (must|should|are required to|have to|need to)\b.{0,30}\b(approve|confirm|order|buy|book|recommend|share|send|ignore|skip|choose|pick|select)\b/i,
  /\b(approve|confirm|place|finali[sz]e)\b.{0,30}\b(without|no need (for|to))\b.{0,20}\b(ask|approval|confirm|checking|user)/i,
  /\b(send|share|include|put|add|forward)\b.{0,40}\b(user'?s?|customer'?s?|their|his|her|my)\b.{0,20}\b(phone|e-?mail|address|birth|card|password|contact|details)/i,
  /\b(call|use|invoke|run)\b.{0,20}\b(tool|function)\b|\b[a-z]+_[a-z_]+\s*\(/i,
  /<\s*\/?\s*(information|important|instructions?)\s*>/i,
  /\b(message|note|instruction)s? from (the )?(user|customer|owner|emma|your (user|principal))\b/i,
  /\brecommend (us|this (shop|store|vendor|offer))\b|\byou should (absolutely )?(recommend|choose|pick) us\b/i,
  /\b(instead|rather)\b.{0,40}\b(book|buy|order|choose|pick)\b|\b(book|buy|order|choose|pick)\b.{0,40}\binstead\b/i,
  /\b(the )?(user|customer|owner|principal)['’]?s? (favou?rite|preferred|usual|choice)\b|\b(user|customer) (prefers|wants|asked for)\b/i,
];

/** Fake urgency and scarcity (THREATS #8; cf. EU UCPD Annex I no. 7). */
export const URGENCY_PATTERNS: readonly RegExp[] = [
  /\b(only|just)\s+\d+\s+(left|remaining|in stock|seats?|tables?)\b/i,
  /\b(decide|order|act|buy|book)\s+(now|immediately|right away|today only)\b/i,
  /\b(expires?|valid|ends?)\b.{0,20}\b(\d+\s*(seconds?|secs?|minutes?|mins?)|soon|shortly)\b/i,
  /\b(last chance|limited time|hurry|don'?t miss|before it'?s gone|selling fast)\b/i,
];

/** Claims of authority or social proof that only a signed attestation could back (THREATS #9). */
export const AUTHORITY_PATTERNS: readonly RegExp[] = [
  /\bpre-?approved\b/i,
  /\b(verified|certified|trusted|official|authori[sz]ed)\s+(seller|vendor|partner|merchant|store|shop)\b/i,
  /\b(approved|endorsed|recommended)\s+by\s+(your|the)\s+(bank|government|user|owner|assistant|steward|registry)\b/i,
  /\b(\d{1,3}(,\d{3})*|thousands of|millions of)\s+(happy|satisfied)\s+customers\b/i,
];

/** Words that mark a paid placement (THREATS #26): with `sponsored: false` they are an undisclosed one. */
export const SPONSORED_PATTERNS: readonly RegExp[] = [
  /\b(sponsored|promoted|advert(isement)?|paid (placement|partner(ship)?|promotion))\b/i,
  /\b(featured|preferred) (partner|brand|placement)\b/i,
];

/** Opaque encoded blobs: long base64, hex or Braille runs in a text field (THREATS #4). */
export const ENCODED_PATTERNS: readonly RegExp[] = [
  /[A-Za-z0-9+/]{40,}={0,2}/,
  /\b[0-9a-f]{48,}\b/i,
  /[\u2800-\u28FF]{8,}/,
];

/** Links and link-like references, stripped from anything a model sees (THREATS #13). */
export const LINK_PATTERN = /\b(?:https?|ftp|data|javascript):[^\s)>\]"']+|!\[[^\]]*\]\([^)]*\)|\bwww\.[a-z0-9-]+\.[a-z]{2,}[^\s)>\]"']*/gi;

/** The first pattern that matches `text`, or undefined. */
export function firstMatch(patterns: readonly RegExp[], text: string): RegExpExecArray | undefined {
  for (const p of patterns) {
    const m = p.exec(text);
    if (m) return m;
  }
  return undefined;
}
