import type { CatalogueItem } from './types.ts';

/**
 * The common grocery basket every demo grocer stocks, at a reference price in USD cents
 * (US supermarket prices, late 2026). Each grocer applies its own markup, floor and SKUs.
 */
export const GROCERY_BASE: readonly { key: string; name: string; unit: string; cents: number; keywords: string[] }[] = [
  { key: 'MILK-WHL-1G', name: 'Whole milk', unit: '1 gal', cents: 429, keywords: ['milk', 'whole milk', 'dairy'] },
  { key: 'MILK-OAT-64', name: 'Oat milk', unit: '64 fl oz', cents: 449, keywords: ['oat milk', 'oat', 'plant milk'] },
  { key: 'EGGS-12-L', name: 'Large eggs, free-range', unit: 'dozen', cents: 459, keywords: ['eggs', 'egg', 'dozen eggs'] },
  { key: 'BREAD-SRD', name: 'Sourdough loaf', unit: '24 oz', cents: 549, keywords: ['bread', 'sourdough', 'loaf'] },
  { key: 'BREAD-WW', name: 'Whole wheat sandwich bread', unit: '20 oz', cents: 379, keywords: ['bread', 'whole wheat', 'sandwich bread'] },
  { key: 'BUTTER-UNS', name: 'Unsalted butter', unit: '1 lb', cents: 529, keywords: ['butter', 'unsalted butter'] },
  { key: 'YOGURT-GRK', name: 'Greek yogurt, plain', unit: '32 oz', cents: 599, keywords: ['yogurt', 'greek yogurt', 'yoghurt'] },
  { key: 'CHEESE-CHD', name: 'Sharp cheddar cheese', unit: '8 oz', cents: 399, keywords: ['cheese', 'cheddar'] },
  { key: 'BANANA-LB', name: 'Bananas', unit: '1 lb', cents: 69, keywords: ['banana', 'bananas', 'fruit'] },
  { key: 'APPLE-GALA', name: 'Gala apples', unit: '3 lb bag', cents: 499, keywords: ['apple', 'apples', 'gala', 'fruit'] },
  { key: 'AVOCADO', name: 'Hass avocado', unit: 'each', cents: 149, keywords: ['avocado', 'avocados'] },
  { key: 'SPINACH-BAG', name: 'Baby spinach', unit: '5 oz', cents: 349, keywords: ['spinach', 'greens', 'salad'] },
  { key: 'TOMATO-VINE', name: 'Tomatoes on the vine', unit: '1 lb', cents: 299, keywords: ['tomato', 'tomatoes'] },
  { key: 'ONION-YEL', name: 'Yellow onions', unit: '3 lb bag', cents: 379, keywords: ['onion', 'onions'] },
  { key: 'POTATO-RUS', name: 'Russet potatoes', unit: '5 lb bag', cents: 449, keywords: ['potato', 'potatoes'] },
  { key: 'CARROT-2LB', name: 'Carrots', unit: '2 lb bag', cents: 249, keywords: ['carrot', 'carrots'] },
  { key: 'CHICKEN-BRST', name: 'Chicken breast, boneless', unit: '1 lb', cents: 499, keywords: ['chicken', 'chicken breast', 'poultry'] },
  { key: 'BEEF-GRND', name: 'Ground beef 85/15', unit: '1 lb', cents: 599, keywords: ['beef', 'ground beef', 'mince'] },
  { key: 'SALMON-FIL', name: 'Atlantic salmon fillet', unit: '1 lb', cents: 1199, keywords: ['salmon', 'fish'] },
  { key: 'TOFU-FIRM', name: 'Firm tofu', unit: '14 oz', cents: 249, keywords: ['tofu'] },
  { key: 'RICE-JAS', name: 'Jasmine rice', unit: '2 lb', cents: 399, keywords: ['rice', 'jasmine rice'] },
  { key: 'PASTA-SPAG', name: 'Spaghetti', unit: '1 lb', cents: 189, keywords: ['pasta', 'spaghetti'] },
  { key: 'SAUCE-MARI', name: 'Marinara sauce', unit: '24 oz', cents: 449, keywords: ['pasta sauce', 'marinara', 'tomato sauce'] },
  { key: 'OATS-ROLL', name: 'Rolled oats', unit: '42 oz', cents: 549, keywords: ['oats', 'oatmeal', 'porridge'] },
  { key: 'CEREAL-GRN', name: 'Granola, honey almond', unit: '12 oz', cents: 479, keywords: ['granola', 'cereal'] },
  { key: 'COFFEE-GRD', name: 'Ground coffee, medium roast', unit: '12 oz', cents: 899, keywords: ['coffee'] },
  { key: 'OJ-52', name: 'Orange juice, not from concentrate', unit: '52 fl oz', cents: 499, keywords: ['orange juice', 'juice', 'oj'] },
  { key: 'OLIVE-OIL', name: 'Extra virgin olive oil', unit: '500 ml', cents: 899, keywords: ['olive oil', 'oil'] },
  { key: 'PB-CRMY', name: 'Peanut butter, creamy', unit: '16 oz', cents: 329, keywords: ['peanut butter'] },
  { key: 'TP-12', name: 'Toilet paper', unit: '12 rolls', cents: 1299, keywords: ['toilet paper', 'tissue'] },
  { key: 'DISH-SOAP', name: 'Dish soap', unit: '19 fl oz', cents: 349, keywords: ['dish soap', 'washing up liquid', 'detergent'] },
];

/** A price that ends in 9 cents, as grocers print them: the nearest such price to `cents`. */
export function retailPrice(cents: number): number {
  return Math.max(9, Math.round((cents + 1) / 10) * 10 - 1);
}

/**
 * Builds a grocer's catalogue from the common basket: markup in basis points, floor as a share of
 * the grocer's own price, SKU prefix, and optional own-brand renames or sponsored items.
 */
export function grocerCatalogue(options: {
  skuPrefix: string;
  markupBps: number;
  floorBps: number;
  rename?: Readonly<Record<string, string>>;
  sponsored?: Readonly<Record<string, number>>;
  skip?: readonly string[];
}): CatalogueItem[] {
  return GROCERY_BASE.filter((b) => !(options.skip ?? []).includes(b.key)).map((b) => {
    const sponsoredMarkup = options.sponsored?.[b.key];
    const price = retailPrice(Math.round((b.cents * (options.markupBps + (sponsoredMarkup ?? 0))) / 10_000));
    const floor = Math.min(price, Math.ceil((price * options.floorBps) / 10_000));
    return {
      sku: `${options.skuPrefix}-${b.key}`,
      name: options.rename?.[b.key] ?? b.name,
      unit: b.unit,
      priceMinor: price,
      floorMinor: floor,
      keywords: b.keywords,
      ...(sponsoredMarkup === undefined ? {} : { sponsored: true }),
    };
  });
}
