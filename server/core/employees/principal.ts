/** The signed-in employee, as the guard hands it to the routes. The private key never leaves the request. */
export type EmployeePrincipal = {
  readonly id: string;
  readonly outletId: string;
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
};
