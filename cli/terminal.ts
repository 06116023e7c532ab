/**
 * Escape and control sequences a terminal would act on: CSI (`ESC [ ... final`, and the 8-bit CSI),
 * OSC / DCS / APC / PM / SOS strings up to their terminator, other two-byte `ESC x` sequences, then any
 * remaining C0 or C1 control character except newline and tab. One pass, linear time.
 */
const CONTROL_SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -~]?|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** `text` without anything a terminal would interpret (colours, titles, cursor moves, bells). */
export function stripControlSequences(text: string): string {
  return text.replace(CONTROL_SEQUENCE, '');
}
