/** A small grocery task, as the person would delegate it. */
export const GROCERY_TASK = {
  category: 'groceries',
  summary: 'groceries for this week under $80',
  items: [
    { description: 'milk', quantity: 2 },
    { description: 'eggs', quantity: 1 },
    { description: 'bread', quantity: 1 },
  ],
  budget: { amountMinor: 8000, currency: 'USD' },
  constraints: {},
} as const;
