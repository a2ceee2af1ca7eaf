/**
 * The one state machine every campaign enrolment runs on (Amazon States Language, JSONPath). CDK deploys it
 * (lib/constructs/campaign-engine.ts) and the local runtime executes the very same definition
 * (local/step-functions.ts). The step task runs every step that does not wait and answers with what to do
 * next; Wait sleeps for free between steps, so a 3-day sequence costs a handful of state transitions:
 * per invocation RunSteps + NextAction, plus Wait for each wait (3 per waiting step, 2 to start, 1 to end).
 * When the step task still fails after its retries, RecordFailure ends the enrolment with reason `error`
 * (the execution then fails, visibly, instead of leaving the enrolment running forever).
 */
export const STEP_TASK_STATE = 'RunSteps';
/** Where the step task's exhausted retries lead: the same function records the run as exited with an error. */
export const FAILURE_TASK_STATE = 'RecordFailure';

/** Transient Lambda errors worth retrying quickly; anything else the task throws is retried more slowly. */
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

export function campaignStateMachineDefinition(stepFunctionArn: string) {
  return {
    Comment: 'Mailroom campaign enrolment: run steps until a wait, sleep, repeat.',
    StartAt: STEP_TASK_STATE,
    States: {
      [STEP_TASK_STATE]: {
        Type: 'Task',
        Resource: stepFunctionArn,
        TimeoutSeconds: 120,
        Retry: [
          { ErrorEquals: LAMBDA_TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
          { ErrorEquals: ['States.ALL'], IntervalSeconds: 30, MaxAttempts: 5, BackoffRate: 3 },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: FAILURE_TASK_STATE }],
        Next: 'NextAction',
      },
      [FAILURE_TASK_STATE]: {
        Type: 'Task',
        Resource: stepFunctionArn,
        TimeoutSeconds: 60,
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 10, BackoffRate: 2 }],
        Next: 'Failed',
      },
      Failed: { Type: 'Fail', Error: 'CampaignStepFailed', Cause: 'The campaign step kept failing; the enrolment exited with reason "error".' },
      NextAction: {
        Type: 'Choice',
        Choices: [{ Variable: '$.action', StringEquals: 'wait', Next: 'Sleep' }],
        Default: 'Done',
      },
      Sleep: { Type: 'Wait', SecondsPath: '$.wait_seconds', Next: STEP_TASK_STATE },
      Done: { Type: 'Succeed' },
    },
  };
}
