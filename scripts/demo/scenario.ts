export interface ScenarioContext {
  apiUrl: string;
  cloudUrl: string;
  adminToken: string;
  dataDir: string;
}

/** The demo scenario. Until the activation engine exists it says what is not there yet. */
export async function runScenario(ctx: ScenarioContext): Promise<void> {
  console.log(`\nThe three apps are up (data in ${ctx.dataDir}). API docs: ${ctx.apiUrl}/docs`);
  console.log('Not there yet: the sample estate and the DRP test run arrive with the activation engine.');
}
