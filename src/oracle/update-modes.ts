// Golden update modes (docs/golden-format.md): a module of its own so the CLI can list them without loading the oracle.
export const UPDATE_MODES = ['none', 'new', 'all'] as const;
export type UpdateMode = (typeof UPDATE_MODES)[number];
