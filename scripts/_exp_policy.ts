import { emailPolicyJson, resolvePolicy } from '../src/curator/policy.js';
console.log(JSON.stringify(emailPolicyJson(resolvePolicy('daily_digest').policy)));
