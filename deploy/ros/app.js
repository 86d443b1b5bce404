// The ROS template of ess-standby, synthesised with the ROS CDK from what
// Serverless Devs resolves of s.yaml (handler/internal/deploytest/testdata/preview/), so
// that the three descriptions (s.yaml, Terraform, ROS) deploy one function.
//
//   node deploy/ros/app.js          writes deploy/ros/template.json and alert.json
//   node deploy/ros/app.js --check  fails if synthesis fails, or if a
//                                   committed template is not what it makes
//
// The CDK packages come from NODE_PATH (.ci/ros installs them). Their
// synthesis checks types, ranges and required properties; ROS checks a
// runtime and a trigger type only as strings, so this checks those against
// the values the alicloud provider validates (the Terraform schema dump).
'use strict';
const fs = require('fs');
const path = require('path');
const ros = require('@alicloud/ros-cdk-core');
const fc3 = require('@alicloud/ros-cdk-fc3');
const ram = require('@alicloud/ros-cdk-ram');
const sls = require('@alicloud/ros-cdk-sls');

const root = path.join(__dirname, '..', '..');
const read = (p) => JSON.parse(fs.readFileSync(path.join(root, p), 'utf8'));
const fn = read('handler/internal/deploytest/testdata/preview/s.yaml.json').resources['ess-standby'].props;
const tf = read('handler/internal/deploytest/testdata/terraform-schema.json').resources;
const runtimes = tf.alicloud_fcv3_function.attributes.runtime.enum;
const triggerTypes = tf.alicloud_fcv3_trigger.attributes.trigger_type.doc_enum;
const rosMaxInstanceConcurrency = 100;

function build(app) {
  const stack = new ros.Stack(app, 'EssStandby', { description: 'ess-standby: puts Auto Scaling instances into Standby (docs/ros.md)' });
  const param = (name, props) => new ros.RosParameter(stack, name, props);
  const group = param('ScalingGroupId', { type: ros.RosParameterType.STRING, description: 'The scaling group the function may act on: its role is scoped to it.' });
  const project = param('LogProject', { type: ros.RosParameterType.STRING, description: 'The Log Service project for its logs, created here.' });
  const bucket = param('CodeOssBucket', { type: ros.RosParameterType.STRING, description: 'The OSS bucket holding the code package (docs/ros.md: the build step).' });
  const object = param('CodeOssObject', { type: ros.RosParameterType.STRING, defaultValue: 'ess-standby/custom.zip', description: 'The code package in it.' });
  const dryRun = param('DryRun', { type: ros.RosParameterType.STRING, defaultValue: 'true', allowedValues: ['true', 'false'], description: 'DRY_RUN: decide and log, change nothing.' });
  const secret = (name, description, required) => param(name, { type: ros.RosParameterType.STRING, noEcho: true, description,
    ...(required ? { minLength: 16, maxLength: 256 } : { defaultValue: '' }) }).valueAsString;
  const secrets = {
    // Required: the HTTP trigger is anonymous, as s.yaml's (CloudMonitor's callbacks cannot sign).
    AUTH_TOKEN: secret('AuthToken', 'AUTH_TOKEN: the token an HTTP-trigger caller presents (16 to 256 characters): openssl rand -hex 24.', true),
    NOTIFY_URL: secret('NotifyUrl', "NOTIFY_URL: a DingTalk or Lark/Feishu robot's webhook, or any HTTPS endpoint."),
    NOTIFY_SECRET: secret('NotifySecret', "NOTIFY_SECRET: the robot's signing secret, or the webhook's HMAC key."),
  };
  const qualifier = param('Qualifier', { type: ros.RosParameterType.STRING, defaultValue: 'LATEST', description: 'What the triggers invoke: LATEST, or an alias.' });

  // deploy/function-policy.json, filled in with the stack's region and account.
  const policy = JSON.parse(fs.readFileSync(path.join(root, 'deploy/function-policy.json'), 'utf8'));
  for (const st of policy.Statement) {
    st.Resource = st.Resource.map((r) => r.includes('<')
      ? ros.Fn.sub(r.replace('<region>', '${ALIYUN::Region}').replace('<account-id>', '${ALIYUN::AccountId}').replace('<scaling-group-id>', '${ScalingGroupId}'))
      : r);
  }
  const trust = read('deploy/function-trust.json');
  const role = new ram.Role(stack, 'Role', {
    roleName: 'ess-standby',
    description: 'ess-standby: puts Auto Scaling instances into Standby',
    assumeRolePolicyDocument: lower(trust),
    policies: [{ policyName: 'ess-standby', policyDocument: lower(policy) }],
  });
  const logProject = new sls.Project(stack, 'Logs', { name: project.valueAsString, description: "ess-standby's logs" });
  const logStore = new sls.Logstore(stack, 'LogStore', { projectName: logProject.attrName, logstoreName: 'ess-standby', ttl: 30 });
  // The index the failure alert's query needs (logConfig: auto makes one
  // for s.yaml): the JSON line's words, and the message analysable.
  new sls.Index(stack, 'LogIndex', {
    projectName: logProject.attrName, logstoreName: logStore.attrLogstoreName,
    fullTextIndex: { enable: true },
    keyIndices: [{ name: 'message', type: 'text', enableAnalytics: true }],
  });

  check('runtime', fn.runtime, runtimes);
  const env = Object.assign({}, fn.environmentVariables, secrets, { DRY_RUN: dryRun.valueAsString, ALLOWED_SCALING_GROUP_IDS: group.valueAsString });
  const func = new fc3.Function(stack, 'Function', {
    functionName: fn.functionName, description: fn.description, runtime: fn.runtime, handler: fn.handler,
    memorySize: fn.memorySize, cpu: fn.cpu, diskSize: fn.diskSize, timeout: fn.timeout,
    // ROS's ALIYUN::FC3::Function takes at most 100 (its schema, which the
    // CDK holds to), where FC's API and s.yaml take 200 (docs/ros.md).
    instanceConcurrency: Math.min(fn.instanceConcurrency, rosMaxInstanceConcurrency), internetAccess: fn.internetAccess, role: role.attrArn,
    code: { ossBucketName: bucket.valueAsString, ossObjectName: object.valueAsString },
    customRuntimeConfig: { command: fn.customRuntimeConfig.command, port: fn.customRuntimeConfig.port },
    logConfig: { project: logProject.attrName, logstore: logStore.attrLogstoreName },
    environmentVariables: env,
  });
  new fc3.ConcurrencyConfig(stack, 'Concurrency', { functionName: func.attrFunctionName, reservedConcurrency: fn.concurrencyConfig.reservedConcurrency });
  // ROS's ALIYUN::FC3::AsyncInvokeConfig has no qualifier: it configures
  // LATEST (docs/ros.md).
  new fc3.AsyncInvokeConfig(stack, 'AsyncInvokeConfig', {
    functionName: func.attrFunctionName,
    maxAsyncRetryAttempts: fn.asyncInvokeConfig.maxAsyncRetryAttempts, maxAsyncEventAgeInSeconds: fn.asyncInvokeConfig.maxAsyncEventAgeInSeconds,
  });
  for (const t of fn.triggers) {
    check('triggerType', t.triggerType, triggerTypes);
    new fc3.Trigger(stack, 'Trigger' + t.triggerName.replace(/(^|-)(.)/g, (_, __, c) => c.toUpperCase()), {
      functionName: func.attrFunctionName, triggerName: t.triggerName, triggerType: t.triggerType,
      qualifier: qualifier.valueAsString, triggerConfig: t.triggerConfig,
    });
  }
  new ros.RosOutput(stack, 'FunctionArn', { value: func.attrArn, description: "The function's ARN." });
  return stack;
}

// buildAlert is the failure alert (docs/logs.md), a stack of its own: it
// goes on the logstore of this stack, of Terraform's, or of s.yaml's
// logConfig: auto (serverless-<region>-<id>/default-logs, as s info says).
// Its query is docs/logs.md's, which a test holds it to.
function buildAlert(app) {
  const stack = new ros.Stack(app, 'EssStandbyAlert', { description: 'ess-standby: the failure alert on its logstore (docs/logs.md)' });
  const param = (name, props) => new ros.RosParameter(stack, name, Object.assign({ type: ros.RosParameterType.STRING }, props)).valueAsString;
  const project = param('LogProject', { description: "The function's Log Service project (s info: logConfig.project)." });
  const logstore = param('LogStore', { defaultValue: 'default-logs', description: "Its logstore (s info: logConfig.logstore; ess-standby for the Terraform module and the ROS stack)." });
  const actionPolicy = param('AlertActionPolicyId', { description: 'The Log Service action policy that says who is told (Alert Center, action policies).' });
  new sls.Alert(stack, 'Failures', {
    project,
    detail: {
      name: 'ess-standby-failures',
      displayName: 'ess-standby failures',
      description: 'ess-standby logged a failure, a refusal or an ended lease',
      schedule: { type: 'FixedRate', interval: '5m' },
      configuration: {
        version: '2.0', type: 'default', dashboard: 'internal-alert-analysis', threshold: 1,
        queryList: [{ storeType: 'log', region: ros.RosPseudo.region, project, store: logstore, query: failureQuery, timeSpanType: 'Relative', start: '-5m', end: 'now' }],
        groupConfiguration: { type: 'no_group' },
        severityConfigurations: [{ severity: 8, evalCondition: { condition: 'failures > 0' } }],
        policyConfiguration: { alertPolicyId: 'sls.builtin.dynamic', actionPolicyId: actionPolicy, repeatInterval: '1h' },
      },
    },
  });
  return stack;
}

// failureQuery is docs/logs.md's: FC's default full-text index splits the
// JSON line into words.
const failureQuery = 'invocation and (WARN or ERROR) | select count(*) as failures';

// lower gives a policy document the CDK's property names (version,
// statement, ...), which it renders back as ROS's.
function lower(doc) {
  if (Array.isArray(doc)) return doc.map(lower);
  if (doc === null || typeof doc !== 'object' || ros.Token.isUnresolved(doc)) return doc;
  const out = {};
  for (const [k, v] of Object.entries(doc)) out[k.charAt(0).toLowerCase() + k.slice(1)] = lower(v);
  return out;
}

function check(what, value, allowed) {
  if (!allowed || !allowed.includes(value)) {
    throw new Error(`${what} ${JSON.stringify(value)} is not one FC has: ${allowed}`);
  }
}

const out = path.join(require('os').tmpdir(), 'ess-standby-ros');
const app = new ros.App({ outdir: out });
build(app);
buildAlert(app);
const assembly = app.synth();
let stale = false;
for (const [stack, file] of [['EssStandby', 'template.json'], ['EssStandbyAlert', 'alert.json']]) {
  const template = JSON.stringify(assembly.getStackByName(stack).template, null, 2) + '\n';
  const committed = path.join(__dirname, file);
  if (process.argv[2] !== '--check') {
    fs.writeFileSync(committed, template);
    console.log('wrote deploy/ros/' + file);
  } else if (!fs.existsSync(committed) || fs.readFileSync(committed, 'utf8') !== template) {
    console.error('deploy/ros/' + file + ' is not what deploy/ros/app.js synthesises: run .ci/ros --write and commit it');
    stale = true;
  } else {
    console.log('deploy/ros/' + file + ' is what the ROS CDK synthesises');
  }
}
if (stale) process.exit(1);
