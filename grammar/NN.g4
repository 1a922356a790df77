//===- NN.g4 - Grammar of the .nn language --------------------------------===//
//
// The whole surface syntax of .nn: scalar functions, derived (gradient)
// functions, tensors and layers. lib/Parse generates an ANTLR 4 parser from
// this file at build time and turns its parse tree into nnc::ast nodes; no
// semantic checks happen here.
//
// Function bodies and the ';':
//   fn f(x) = e;                          expression body
//   fn f(x) = e backward(dy) = g;         expression body with a backward rule:
//                                         one ';' at the very end
//   fn f(x) = e; backward(dy) = g;        also accepted: 'backward' can start
//                                         nothing else, so the extra ';' is
//                                         unambiguous
//   fn f(x) = e backward(dy) { ... }      block-bodied backward rule
//   fn f(x) { ... }                       block body, no ';' after '}'
//   fn f(x) { ... } backward(dy) = g;
//   fn f(x) { ... } backward(dy) { ... }
// Every decision is LL(1) once the body's expression has been parsed, so the
// parser never looks through a whole expression to choose a form.
//
// Layer parameters use the same syntax as function parameters (a name with
// an optional type); Sema decides what it accepts.
//
//===----------------------------------------------------------------------===//

grammar NN;

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

module
  : topDecl* EOF
  ;

// `fn NAME (` starts a function, `fn NAME =` a derived function: the parser
// tells them apart with two tokens of lookahead.
topDecl
  : fnDecl
  | derivedDecl
  | layerDecl
  | letDecl
  ;

fnDecl
  : 'fn' name=IDENT '(' paramList? ')' ('->' result=type)?
    ( '=' body=expr ( ';' backwardClause? | backwardClause )
    | block backwardClause?
    )
  ;

backwardClause
  : 'backward' '(' grad=IDENT ')' ( '=' body=expr ';' | block )
  ;

derivedDecl
  : 'fn' name=IDENT '=' value=expr ';'
  ;

letDecl
  : 'let' name=IDENT '=' value=expr ';'
  ;

layerDecl
  : 'layer' name=IDENT ( '(' paramList? ')' )? '{' layerMember* '}'
  ;

layerMember
  : 'param' name=IDENT ':' type ( '=' init=expr )? ';'       # paramMember
  | name=IDENT ':' layer=IDENT '(' argList? ')' ';'           # subLayerMember
  // `state NAME: TYPE (= INIT)?;` (issue 12): `state` is a word only here,
  // so it stays an ordinary identifier elsewhere.
  | kw=IDENT name=IDENT ':' type ( '=' init=expr )? ';'       # stateMember
  | fnDecl                                                    # methodMember
  ;

paramList
  : param ( ',' param )*
  ;

param
  : name=IDENT ( ':' type )?
  ;

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

type
  : name=IDENT ( '[' dim ( ',' dim )* ']' )?                     # namedType
  | '(' type ( ',' type )+ ')'                                    # tupleType
  ;

// A dimension is a product: `B`, `784`, `2*n`.
dim
  : dimFactor ( '*' dimFactor )*
  ;

dimFactor
  : size=INT
  | name=IDENT
  ;

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

block
  : '{' stmt* '}'
  ;

stmt
  : 'let' name=IDENT ( ':' type )? '=' value=expr ';'            # letStmt
  | 'return' value=expr ';'                                       # returnStmt
  // Assignment of a layer's `state` member (issue 12).
  | name=IDENT '=' value=expr ';'                                 # assignStmt
  ;

//===----------------------------------------------------------------------===//
// Expressions, highest precedence first (ANTLR gives earlier alternatives of
// a left-recursive rule higher precedence). Prefix '-' and '!' bind looser
// than '^' so that `-x^2` is `-(x^2)`, and a prefix operator may start any
// operand, so `2^-1` is `2^(-1)`. Comparisons are left-associative in the
// grammar; `a < b < c` compares a bool and is rejected by Sema.
//===----------------------------------------------------------------------===//

expr
  : base=expr '.' member=IDENT                                    # memberExpr
  | callee=expr '(' argList? ')'                                  # callExpr
  | base=expr '[' indexList ']'                                   # indexExpr
  | <assoc=right> lhs=expr op='^' rhs=expr                        # powExpr
  | op=( '-' | '!' ) operand=expr                                 # unaryExpr
  | lhs=expr op=( '*' | '/' | '@' ) rhs=expr                      # mulExpr
  | lhs=expr op=( '+' | '-' ) rhs=expr                            # addExpr
  | lhs=expr op=( '<' | '<=' | '>' | '>=' | '==' | '!=' ) rhs=expr # cmpExpr
  | lhs=expr op='&&' rhs=expr                                     # andExpr
  | lhs=expr op='||' rhs=expr                                     # orExpr
  | tok=( INT | FLOAT )                                           # numberExpr
  | tok=( 'true' | 'false' )                                      # boolExpr
  | name=IDENT                                                    # nameExpr
  // One element in parentheses is grouping; two or more make a tuple.
  | '(' expr ( ',' expr )* ')'                                    # parenExpr
  | '[' ( expr ( ',' expr )* )? ']'                               # tensorExpr
  | ifExpr                                                        # ifExprAlt
  ;

// Both arms are expressions in braces; `else if` chains without braces.
ifExpr
  : 'if' cond=expr '{' thenExpr=expr '}' 'else'
    ( '{' elseExpr=expr '}' | elseIf=ifExpr )
  ;

argList
  : arg ( ',' arg )*
  ;

// NumPy's basic indexing: `x[i]`, `x[:, 1:3]`, `x[::2]`, `x[..., -1]`.
indexList
  : indexItem ( ',' indexItem )*
  ;

indexItem
  : '...'                                                         # ellipsisIndex
  | start=expr? ':' stop=expr? ( ':' step=expr? )?                # sliceIndex
  | value=expr                                                    # singleIndex
  ;

// `axis=1` names the argument; `x == 1` is an ordinary expression.
arg
  : ( name=IDENT '=' )? value=expr
  ;

//===----------------------------------------------------------------------===//
// Lexer
//===----------------------------------------------------------------------===//

FN       : 'fn' ;
LET      : 'let' ;
RETURN   : 'return' ;
LAYER    : 'layer' ;
PARAM    : 'param' ;
BACKWARD : 'backward' ;
IF       : 'if' ;
ELSE     : 'else' ;
TRUE     : 'true' ;
FALSE    : 'false' ;

LPAREN   : '(' ;
RPAREN   : ')' ;
LBRACKET : '[' ;
RBRACKET : ']' ;
LBRACE   : '{' ;
RBRACE   : '}' ;
COMMA    : ',' ;
SEMI     : ';' ;
COLON    : ':' ;
DOT      : '.' ;
ELLIPSIS : '...' ;
ARROW    : '->' ;
ASSIGN   : '=' ;

PLUS     : '+' ;
MINUS    : '-' ;
STAR     : '*' ;
SLASH    : '/' ;
AT       : '@' ;
CARET    : '^' ;
NOT      : '!' ;
LT       : '<' ;
LE       : '<=' ;
GT       : '>' ;
GE       : '>=' ;
EQ       : '==' ;
NE       : '!=' ;
AND      : '&&' ;
OR       : '||' ;

IDENT    : [a-zA-Z_] [a-zA-Z0-9_]* ;

// 1, 1.5, 1., .5, 1e-3, 2.5E+4.
INT      : DIGIT+ ;
FLOAT
  : DIGIT+ '.' DIGIT* EXPONENT?
  | '.' DIGIT+ EXPONENT?
  | DIGIT+ EXPONENT
  ;
// `1e`, `2.5e+` and the like: an exponent without digits. Lexed as a FLOAT
// (the longest match wins over INT) so that the parser accepts it where a
// number goes and lib/Parse reports it as an invalid number literal instead
// of a confusing syntax error about a stray identifier.
BAD_FLOAT
  : ( DIGIT+ ( '.' DIGIT* )? | '.' DIGIT+ ) [eE] [+-]? -> type(FLOAT)
  ;

fragment DIGIT    : [0-9] ;
fragment EXPONENT : [eE] [+-]? DIGIT+ ;

WS            : [ \t\r\n\f\u000B]+ -> skip ;
LINE_COMMENT  : '//' ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
// A `/*` never closed: matches up to the end of input (a terminated comment
// is one or two characters longer and wins). lib/Parse reports it.
UNTERMINATED_COMMENT
  : '/*' ( ~'*' | '*'+ ~[*/] )* '*'* -> channel(HIDDEN)
  ;

// Anything else is one unexpected character. It stays out of the parser's
// way (hidden channel); lib/Parse reports it before parsing.
ERROR_CHAR : . -> channel(HIDDEN) ;
