package dsl

import "github.com/hashicorp/hcl/v2"

// The schema of the scenario language. docs/dsl.md documents every block
// and attribute here; a test keeps the two in step.

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "requirement", LabelNames: []string{"id"}},
		{Type: "checkset", LabelNames: []string{"name"}},
		{Type: "scenario", LabelNames: []string{"name"}},
	},
}

var requirementSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "level", Required: true},
		{Name: "text", Required: true},
		{Name: "ref"},
		{Name: "tags"},
	},
}

var checksetSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"},
		{Name: "checks"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "check", LabelNames: []string{"id"}},
	},
}

var checkSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "name"},
		{Name: "description"},
		{Name: "verifies"},
		{Name: "level"},
		{Name: "condition", Required: true},
		{Name: "error_message"},
	},
}

// caseAttributes are shared by scenario and case bodies.
var caseAttributes = []hcl.AttributeSchema{
	{Name: "description"},
	{Name: "timeout"},
	{Name: "fail_fast"},
	{Name: "context"},
	{Name: "checks"},
}

var caseBlocks = []hcl.BlockHeaderSchema{
	{Type: "auth_server"},
	{Type: "mcp_server"},
	{Type: "assertion", LabelNames: []string{"name"}},
	{Type: "check", LabelNames: []string{"id"}},
}

var scenarioSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{
		{Name: "extension"},
		{Name: "protocol_version"},
	}, caseAttributes...),
	Blocks: append([]hcl.BlockHeaderSchema{
		{Type: "case", LabelNames: []string{"name"}},
	}, caseBlocks...),
}

var caseSchema = &hcl.BodySchema{
	Attributes: caseAttributes,
	Blocks:     caseBlocks,
}

var authServerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "grant_types_supported"},
		{Name: "registration"},
		{Name: "scopes_supported"},
		{Name: "leeway"},
		{Name: "token_ttl"},
		{Name: "verify_assertion"},
		{Name: "seen_jtis"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "reject", LabelNames: []string{"name"}},
	},
}

var rejectSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "when", Required: true},
		{Name: "error"},
		{Name: "error_description"},
		{Name: "status"},
	},
}

var mcpServerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "path"},
		{Name: "scopes_supported"},
		{Name: "challenge_scope"},
	},
}

var assertionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "issuer"},
		{Name: "subject"},
		{Name: "audience"},
		{Name: "expires_in"},
		{Name: "issued_at"},
		{Name: "not_before"},
		{Name: "jti"},
		{Name: "claims"},
		{Name: "alg"},
	},
}

// Schemas lists every block type with its schema, for documentation
// tests and tooling.
func Schemas() map[string]*hcl.BodySchema {
	return map[string]*hcl.BodySchema{
		"(file)":      fileSchema,
		"requirement": requirementSchema,
		"checkset":    checksetSchema,
		"check":       checkSchema,
		"scenario":    scenarioSchema,
		"case":        caseSchema,
		"auth_server": authServerSchema,
		"reject":      rejectSchema,
		"mcp_server":  mcpServerSchema,
		"assertion":   assertionSchema,
	}
}
