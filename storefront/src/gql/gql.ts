/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment SessionTokens on AuthPayload {\n    accessToken\n    refreshToken\n    expiresAt\n    user { id name email }\n  }\n": typeof types.SessionTokensFragmentDoc,
    "\n  mutation Refresh($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) { ...SessionTokens }\n  }\n": typeof types.RefreshDocument,
    "\n  query CartCount {\n    cart { id itemCount }\n  }\n": typeof types.CartCountDocument,
    "\n  mutation SignOut($refreshToken: String!) {\n    logout(refreshToken: $refreshToken)\n  }\n": typeof types.SignOutDocument,
    "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) { ...SessionTokens }\n  }\n": typeof types.SignInDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { ...SessionTokens }\n  }\n": typeof types.RegisterDocument,
    "\n  fragment CartLines on Cart {\n    id\n    itemCount\n    subtotal { formatted }\n    discount { amount formatted }\n    total { formatted }\n    appliedCode\n    discountNotice\n    appliedPromotions { kind name amount { formatted } }\n    items {\n      quantity\n      unitPrice { formatted }\n      lineTotal { formatted }\n      product { id slug name availableQuantity salePrice { formatted } }\n    }\n  }\n": typeof types.CartLinesFragmentDoc,
    "\n  mutation ApplyDiscountCode($code: String!) {\n    applyDiscountCode(code: $code) { ...CartLines }\n  }\n": typeof types.ApplyDiscountCodeDocument,
    "\n  mutation RemoveDiscountCode {\n    removeDiscountCode { ...CartLines }\n  }\n": typeof types.RemoveDiscountCodeDocument,
    "\n  query Cart {\n    cart { ...CartLines }\n  }\n": typeof types.CartDocument,
    "\n  mutation UpdateCartLine($productId: ID!, $quantity: Int!) {\n    updateCartItem(productId: $productId, quantity: $quantity) { ...CartLines }\n  }\n": typeof types.UpdateCartLineDocument,
    "\n  query SavedAddresses {\n    me {\n      id\n      name\n      addresses { id name line1 line2 city region postalCode country isDefault }\n    }\n  }\n": typeof types.SavedAddressesDocument,
    "\n  query ShippingRates($country: String!, $postalCode: String!, $items: [RateItemInput!]!) {\n    shippingRates(country: $country, postalCode: $postalCode, items: $items) {\n      id\n      carrier\n      service\n      estimatedDays\n      cost { formatted }\n    }\n  }\n": typeof types.ShippingRatesDocument,
    "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      id\n      number\n    }\n  }\n": typeof types.CheckoutDocument,
    "\n  fragment ShipmentDetails on Shipment {\n    id\n    carrier\n    trackingNumber\n    status\n    estimatedDelivery\n    events { status location description at }\n  }\n": typeof types.ShipmentDetailsFragmentDoc,
    "\n  fragment OrderDetails on Order {\n    id\n    number\n    status\n    placedAt\n    subtotal { formatted }\n    shippingCost { formatted }\n    total { formatted }\n    items { productName quantity unitPrice { formatted } lineTotal { formatted } }\n    shippingAddress { name line1 line2 city region postalCode country }\n    statusHistory { status at reason }\n    payment { status failureReason }\n    shipment { ...ShipmentDetails }\n  }\n": typeof types.OrderDetailsFragmentDoc,
    "\n  query Order($id: ID!) {\n    order(id: $id) { ...OrderDetails }\n  }\n": typeof types.OrderDocument,
    "\n  subscription FollowOrder($id: ID!) {\n    orderStatusChanged(orderId: $id) {\n      status\n      at\n      order { ...OrderDetails }\n    }\n  }\n": typeof types.FollowOrderDocument,
    "\n  subscription FollowShipment($id: ID!) {\n    shipmentUpdated(orderId: $id) { ...ShipmentDetails }\n  }\n": typeof types.FollowShipmentDocument,
    "\n  mutation CancelOrder($id: ID!) {\n    cancelOrder(id: $id, reason: \"Cancelled by the customer\") { ...OrderDetails }\n  }\n": typeof types.CancelOrderDocument,
    "\n  query MyOrders($first: Int!, $after: String) {\n    me {\n      id\n      orders(first: $first, after: $after) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        edges {\n          node {\n            id\n            number\n            status\n            placedAt\n            total { formatted }\n            items { quantity }\n          }\n        }\n      }\n    }\n  }\n": typeof types.MyOrdersDocument,
    "\n  query Product($slug: String!, $reviews: Int!) {\n    product(slug: $slug) {\n      id\n      name\n      sku\n      description\n      price { formatted }\n      salePrice { formatted }\n      activePromotion { name }\n      media { url alt width height contentType variants { url width } }\n      category { id name }\n      tags\n      weightGrams\n      inStock\n      availableQuantity\n      shippingEstimate { formatted }\n      averageRating\n      reviewCount\n      reviews(first: $reviews) {\n        pageInfo { hasNextPage endCursor }\n        edges {\n          node {\n            id\n            rating\n            title\n            body\n            createdAt\n            author { name }\n          }\n        }\n      }\n    }\n  }\n": typeof types.ProductDocument,
    "\n  mutation AddToCart($productId: ID!, $quantity: Int!) {\n    addToCart(productId: $productId, quantity: $quantity) {\n      id\n      itemCount\n    }\n  }\n": typeof types.AddToCartDocument,
    "\n  query Products($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {\n    products(filter: $filter, sort: $sort, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          slug\n          name\n          price { formatted }\n          averageRating\n          reviewCount\n          inStock\n        }\n      }\n    }\n  }\n": typeof types.ProductsDocument,
    "\n  query Categories {\n    categories { id name }\n  }\n": typeof types.CategoriesDocument,
};
const documents: Documents = {
    "\n  fragment SessionTokens on AuthPayload {\n    accessToken\n    refreshToken\n    expiresAt\n    user { id name email }\n  }\n": types.SessionTokensFragmentDoc,
    "\n  mutation Refresh($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) { ...SessionTokens }\n  }\n": types.RefreshDocument,
    "\n  query CartCount {\n    cart { id itemCount }\n  }\n": types.CartCountDocument,
    "\n  mutation SignOut($refreshToken: String!) {\n    logout(refreshToken: $refreshToken)\n  }\n": types.SignOutDocument,
    "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) { ...SessionTokens }\n  }\n": types.SignInDocument,
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { ...SessionTokens }\n  }\n": types.RegisterDocument,
    "\n  fragment CartLines on Cart {\n    id\n    itemCount\n    subtotal { formatted }\n    discount { amount formatted }\n    total { formatted }\n    appliedCode\n    discountNotice\n    appliedPromotions { kind name amount { formatted } }\n    items {\n      quantity\n      unitPrice { formatted }\n      lineTotal { formatted }\n      product { id slug name availableQuantity salePrice { formatted } }\n    }\n  }\n": types.CartLinesFragmentDoc,
    "\n  mutation ApplyDiscountCode($code: String!) {\n    applyDiscountCode(code: $code) { ...CartLines }\n  }\n": types.ApplyDiscountCodeDocument,
    "\n  mutation RemoveDiscountCode {\n    removeDiscountCode { ...CartLines }\n  }\n": types.RemoveDiscountCodeDocument,
    "\n  query Cart {\n    cart { ...CartLines }\n  }\n": types.CartDocument,
    "\n  mutation UpdateCartLine($productId: ID!, $quantity: Int!) {\n    updateCartItem(productId: $productId, quantity: $quantity) { ...CartLines }\n  }\n": types.UpdateCartLineDocument,
    "\n  query SavedAddresses {\n    me {\n      id\n      name\n      addresses { id name line1 line2 city region postalCode country isDefault }\n    }\n  }\n": types.SavedAddressesDocument,
    "\n  query ShippingRates($country: String!, $postalCode: String!, $items: [RateItemInput!]!) {\n    shippingRates(country: $country, postalCode: $postalCode, items: $items) {\n      id\n      carrier\n      service\n      estimatedDays\n      cost { formatted }\n    }\n  }\n": types.ShippingRatesDocument,
    "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      id\n      number\n    }\n  }\n": types.CheckoutDocument,
    "\n  fragment ShipmentDetails on Shipment {\n    id\n    carrier\n    trackingNumber\n    status\n    estimatedDelivery\n    events { status location description at }\n  }\n": types.ShipmentDetailsFragmentDoc,
    "\n  fragment OrderDetails on Order {\n    id\n    number\n    status\n    placedAt\n    subtotal { formatted }\n    shippingCost { formatted }\n    total { formatted }\n    items { productName quantity unitPrice { formatted } lineTotal { formatted } }\n    shippingAddress { name line1 line2 city region postalCode country }\n    statusHistory { status at reason }\n    payment { status failureReason }\n    shipment { ...ShipmentDetails }\n  }\n": types.OrderDetailsFragmentDoc,
    "\n  query Order($id: ID!) {\n    order(id: $id) { ...OrderDetails }\n  }\n": types.OrderDocument,
    "\n  subscription FollowOrder($id: ID!) {\n    orderStatusChanged(orderId: $id) {\n      status\n      at\n      order { ...OrderDetails }\n    }\n  }\n": types.FollowOrderDocument,
    "\n  subscription FollowShipment($id: ID!) {\n    shipmentUpdated(orderId: $id) { ...ShipmentDetails }\n  }\n": types.FollowShipmentDocument,
    "\n  mutation CancelOrder($id: ID!) {\n    cancelOrder(id: $id, reason: \"Cancelled by the customer\") { ...OrderDetails }\n  }\n": types.CancelOrderDocument,
    "\n  query MyOrders($first: Int!, $after: String) {\n    me {\n      id\n      orders(first: $first, after: $after) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        edges {\n          node {\n            id\n            number\n            status\n            placedAt\n            total { formatted }\n            items { quantity }\n          }\n        }\n      }\n    }\n  }\n": types.MyOrdersDocument,
    "\n  query Product($slug: String!, $reviews: Int!) {\n    product(slug: $slug) {\n      id\n      name\n      sku\n      description\n      price { formatted }\n      salePrice { formatted }\n      activePromotion { name }\n      media { url alt width height contentType variants { url width } }\n      category { id name }\n      tags\n      weightGrams\n      inStock\n      availableQuantity\n      shippingEstimate { formatted }\n      averageRating\n      reviewCount\n      reviews(first: $reviews) {\n        pageInfo { hasNextPage endCursor }\n        edges {\n          node {\n            id\n            rating\n            title\n            body\n            createdAt\n            author { name }\n          }\n        }\n      }\n    }\n  }\n": types.ProductDocument,
    "\n  mutation AddToCart($productId: ID!, $quantity: Int!) {\n    addToCart(productId: $productId, quantity: $quantity) {\n      id\n      itemCount\n    }\n  }\n": types.AddToCartDocument,
    "\n  query Products($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {\n    products(filter: $filter, sort: $sort, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          slug\n          name\n          price { formatted }\n          averageRating\n          reviewCount\n          inStock\n        }\n      }\n    }\n  }\n": types.ProductsDocument,
    "\n  query Categories {\n    categories { id name }\n  }\n": types.CategoriesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionTokens on AuthPayload {\n    accessToken\n    refreshToken\n    expiresAt\n    user { id name email }\n  }\n"): (typeof documents)["\n  fragment SessionTokens on AuthPayload {\n    accessToken\n    refreshToken\n    expiresAt\n    user { id name email }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Refresh($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) { ...SessionTokens }\n  }\n"): (typeof documents)["\n  mutation Refresh($refreshToken: String!) {\n    refreshToken(refreshToken: $refreshToken) { ...SessionTokens }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CartCount {\n    cart { id itemCount }\n  }\n"): (typeof documents)["\n  query CartCount {\n    cart { id itemCount }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignOut($refreshToken: String!) {\n    logout(refreshToken: $refreshToken)\n  }\n"): (typeof documents)["\n  mutation SignOut($refreshToken: String!) {\n    logout(refreshToken: $refreshToken)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) { ...SessionTokens }\n  }\n"): (typeof documents)["\n  mutation SignIn($email: String!, $password: String!) {\n    login(email: $email, password: $password) { ...SessionTokens }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { ...SessionTokens }\n  }\n"): (typeof documents)["\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { ...SessionTokens }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CartLines on Cart {\n    id\n    itemCount\n    subtotal { formatted }\n    discount { amount formatted }\n    total { formatted }\n    appliedCode\n    discountNotice\n    appliedPromotions { kind name amount { formatted } }\n    items {\n      quantity\n      unitPrice { formatted }\n      lineTotal { formatted }\n      product { id slug name availableQuantity salePrice { formatted } }\n    }\n  }\n"): (typeof documents)["\n  fragment CartLines on Cart {\n    id\n    itemCount\n    subtotal { formatted }\n    discount { amount formatted }\n    total { formatted }\n    appliedCode\n    discountNotice\n    appliedPromotions { kind name amount { formatted } }\n    items {\n      quantity\n      unitPrice { formatted }\n      lineTotal { formatted }\n      product { id slug name availableQuantity salePrice { formatted } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ApplyDiscountCode($code: String!) {\n    applyDiscountCode(code: $code) { ...CartLines }\n  }\n"): (typeof documents)["\n  mutation ApplyDiscountCode($code: String!) {\n    applyDiscountCode(code: $code) { ...CartLines }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveDiscountCode {\n    removeDiscountCode { ...CartLines }\n  }\n"): (typeof documents)["\n  mutation RemoveDiscountCode {\n    removeDiscountCode { ...CartLines }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Cart {\n    cart { ...CartLines }\n  }\n"): (typeof documents)["\n  query Cart {\n    cart { ...CartLines }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateCartLine($productId: ID!, $quantity: Int!) {\n    updateCartItem(productId: $productId, quantity: $quantity) { ...CartLines }\n  }\n"): (typeof documents)["\n  mutation UpdateCartLine($productId: ID!, $quantity: Int!) {\n    updateCartItem(productId: $productId, quantity: $quantity) { ...CartLines }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SavedAddresses {\n    me {\n      id\n      name\n      addresses { id name line1 line2 city region postalCode country isDefault }\n    }\n  }\n"): (typeof documents)["\n  query SavedAddresses {\n    me {\n      id\n      name\n      addresses { id name line1 line2 city region postalCode country isDefault }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ShippingRates($country: String!, $postalCode: String!, $items: [RateItemInput!]!) {\n    shippingRates(country: $country, postalCode: $postalCode, items: $items) {\n      id\n      carrier\n      service\n      estimatedDays\n      cost { formatted }\n    }\n  }\n"): (typeof documents)["\n  query ShippingRates($country: String!, $postalCode: String!, $items: [RateItemInput!]!) {\n    shippingRates(country: $country, postalCode: $postalCode, items: $items) {\n      id\n      carrier\n      service\n      estimatedDays\n      cost { formatted }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      id\n      number\n    }\n  }\n"): (typeof documents)["\n  mutation Checkout($input: CheckoutInput!) {\n    checkout(input: $input) {\n      id\n      number\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ShipmentDetails on Shipment {\n    id\n    carrier\n    trackingNumber\n    status\n    estimatedDelivery\n    events { status location description at }\n  }\n"): (typeof documents)["\n  fragment ShipmentDetails on Shipment {\n    id\n    carrier\n    trackingNumber\n    status\n    estimatedDelivery\n    events { status location description at }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment OrderDetails on Order {\n    id\n    number\n    status\n    placedAt\n    subtotal { formatted }\n    shippingCost { formatted }\n    total { formatted }\n    items { productName quantity unitPrice { formatted } lineTotal { formatted } }\n    shippingAddress { name line1 line2 city region postalCode country }\n    statusHistory { status at reason }\n    payment { status failureReason }\n    shipment { ...ShipmentDetails }\n  }\n"): (typeof documents)["\n  fragment OrderDetails on Order {\n    id\n    number\n    status\n    placedAt\n    subtotal { formatted }\n    shippingCost { formatted }\n    total { formatted }\n    items { productName quantity unitPrice { formatted } lineTotal { formatted } }\n    shippingAddress { name line1 line2 city region postalCode country }\n    statusHistory { status at reason }\n    payment { status failureReason }\n    shipment { ...ShipmentDetails }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Order($id: ID!) {\n    order(id: $id) { ...OrderDetails }\n  }\n"): (typeof documents)["\n  query Order($id: ID!) {\n    order(id: $id) { ...OrderDetails }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FollowOrder($id: ID!) {\n    orderStatusChanged(orderId: $id) {\n      status\n      at\n      order { ...OrderDetails }\n    }\n  }\n"): (typeof documents)["\n  subscription FollowOrder($id: ID!) {\n    orderStatusChanged(orderId: $id) {\n      status\n      at\n      order { ...OrderDetails }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription FollowShipment($id: ID!) {\n    shipmentUpdated(orderId: $id) { ...ShipmentDetails }\n  }\n"): (typeof documents)["\n  subscription FollowShipment($id: ID!) {\n    shipmentUpdated(orderId: $id) { ...ShipmentDetails }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelOrder($id: ID!) {\n    cancelOrder(id: $id, reason: \"Cancelled by the customer\") { ...OrderDetails }\n  }\n"): (typeof documents)["\n  mutation CancelOrder($id: ID!) {\n    cancelOrder(id: $id, reason: \"Cancelled by the customer\") { ...OrderDetails }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query MyOrders($first: Int!, $after: String) {\n    me {\n      id\n      orders(first: $first, after: $after) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        edges {\n          node {\n            id\n            number\n            status\n            placedAt\n            total { formatted }\n            items { quantity }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query MyOrders($first: Int!, $after: String) {\n    me {\n      id\n      orders(first: $first, after: $after) {\n        totalCount\n        pageInfo { hasNextPage endCursor }\n        edges {\n          node {\n            id\n            number\n            status\n            placedAt\n            total { formatted }\n            items { quantity }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Product($slug: String!, $reviews: Int!) {\n    product(slug: $slug) {\n      id\n      name\n      sku\n      description\n      price { formatted }\n      salePrice { formatted }\n      activePromotion { name }\n      media { url alt width height contentType variants { url width } }\n      category { id name }\n      tags\n      weightGrams\n      inStock\n      availableQuantity\n      shippingEstimate { formatted }\n      averageRating\n      reviewCount\n      reviews(first: $reviews) {\n        pageInfo { hasNextPage endCursor }\n        edges {\n          node {\n            id\n            rating\n            title\n            body\n            createdAt\n            author { name }\n          }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Product($slug: String!, $reviews: Int!) {\n    product(slug: $slug) {\n      id\n      name\n      sku\n      description\n      price { formatted }\n      salePrice { formatted }\n      activePromotion { name }\n      media { url alt width height contentType variants { url width } }\n      category { id name }\n      tags\n      weightGrams\n      inStock\n      availableQuantity\n      shippingEstimate { formatted }\n      averageRating\n      reviewCount\n      reviews(first: $reviews) {\n        pageInfo { hasNextPage endCursor }\n        edges {\n          node {\n            id\n            rating\n            title\n            body\n            createdAt\n            author { name }\n          }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddToCart($productId: ID!, $quantity: Int!) {\n    addToCart(productId: $productId, quantity: $quantity) {\n      id\n      itemCount\n    }\n  }\n"): (typeof documents)["\n  mutation AddToCart($productId: ID!, $quantity: Int!) {\n    addToCart(productId: $productId, quantity: $quantity) {\n      id\n      itemCount\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Products($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {\n    products(filter: $filter, sort: $sort, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          slug\n          name\n          price { formatted }\n          averageRating\n          reviewCount\n          inStock\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Products($filter: ProductFilter, $sort: ProductSort, $first: Int, $after: String) {\n    products(filter: $filter, sort: $sort, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges {\n        node {\n          id\n          slug\n          name\n          price { formatted }\n          averageRating\n          reviewCount\n          inStock\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Categories {\n    categories { id name }\n  }\n"): (typeof documents)["\n  query Categories {\n    categories { id name }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;