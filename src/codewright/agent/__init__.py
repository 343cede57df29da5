"""codewright.agent"""
