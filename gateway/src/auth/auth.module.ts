import { Module } from '@nestjs/common';
import { TokenVerifier } from './request-auth';

/** Bearer-token verification (the key is resolved once, at start). */
@Module({ providers: [TokenVerifier], exports: [TokenVerifier] })
export class AuthModule {}
