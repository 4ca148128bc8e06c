import { LoopletError } from '../util/errors.js';

/** A case needs an agent and no eval file exports one. */
export class MissingAgentError extends LoopletError {
  constructor({ caseId, file }: { caseId: string; file: string }) {
    super({
      message: `case "${caseId}" (${file}) runs an agent, but no eval file exports one: add \`export const agent: AgentFactory = ({ llm, task }) => agentLoop({ llm, task, tools })\` to an eval file`,
      code: 'MISSING_AGENT',
    });
  }
}
