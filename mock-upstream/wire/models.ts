/** `GET /v1/models` and `GET /v1/models/{id}`. Unknown ids are a model_not_found 404 (see errors.ts). */

// Current models all report `system`; only a few legacy ones ever said `openai`.
const OWNED_BY = 'system';

function model(id: string, createdSec: number) {
  return { id, object: 'model', created: createdSec, owned_by: OWNED_BY };
}

export function modelBody(id: string, createdSec: number): string {
  return JSON.stringify(model(id, createdSec));
}

export function modelsListBody(models: readonly string[], createdSec: number): string {
  return JSON.stringify({ object: 'list', data: models.map((id) => model(id, createdSec)) });
}
