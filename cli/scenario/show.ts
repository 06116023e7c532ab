/** A Slack message's blocks, as a receiver gets them (the forwarder's `SlackMessage` is one). */
export interface BlocksOf {
  readonly blocks?: readonly {
    readonly type: string;
    readonly text?: { readonly text: string };
    readonly elements?: readonly unknown[];
  }[];
}

/** A Slack message block by block, as `npm start` prints it and the README shows it. */
export function describeSlackBlocks(message: BlocksOf): string[] {
  return (message.blocks ?? []).map((block) => {
    const text =
      block.text?.text ?? (block.elements ?? []).map((element) => JSON.stringify(element)).join(' ');
    return `[${block.type}] ${text.replace(/\n/g, '\n    ')}`;
  });
}
