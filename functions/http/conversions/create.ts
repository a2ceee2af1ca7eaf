import { idempotentHttpHandler } from '../../shared/http/idempotency.js';
import { ConversionBody } from '../../schemas/conversions.js';
import { recordConversion } from '../../domain/conversions.js';

/** Records a conversion, credited to the last email sent to the address within the attribution window. */
export const handler = idempotentHttpHandler('conversions.create', { body: ConversionBody }, async ({ body, principal, setResourceId }) => {
  const conversion = await recordConversion(principal.teamId!, body);
  setResourceId(conversion.id);
  return { status: 201, body: conversion };
});
