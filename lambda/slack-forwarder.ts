// Placeholder entry so the stack can bundle while the pipeline is written; replaced by the real handler.
export const handler = async (): Promise<void> => {};
