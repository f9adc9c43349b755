// The tool's version: recorded with every run and night, printed by --version. A test checks it equals package.json's.
export const TOOL_VERSION = '0.1.0';
